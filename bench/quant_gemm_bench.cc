// The GEMM kernels of Q4_0, Q5_0, Q4_K, Q5_K and Q6_K side by side, printed as
// JSON: for each type, batch (1 = a decode GEMV, 16 = a prompt tile) and
// every kernel this CPU runs (ref, avx2, avx512vnni, ...), the median time
// of one call over a 2048 x 2048 matrix on the calling thread, the weight
// GB/s and the multiply-adds per second. The kernels alternate call by call
// (ref only every --ref-every-th round: it is ~30x slower), so a machine that
// drifts slows every kernel alike. With --iters=1 it is short enough for
// `valgrind --tool=callgrind` (instruction counts per kernel function).
//
//   bazel run -c opt //bench:quant_gemm_bench [-- --iters=N --ref-every=M]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "ops/kernels/quant_dispatch.h"
#include "ops/kernels/quant_gemm.h"
#include "quant/type_traits.h"

namespace {

namespace kernels = edgellm::ops::kernels;
using edgellm::gguf::TensorType;
using Clock = std::chrono::steady_clock;

constexpr size_t kOut = 2048, kIn = 2048;
constexpr size_t kBatches[] = {1, 16};
constexpr TensorType kTypes[] = {TensorType::kQ4_0, TensorType::kQ5_0,
                                 TensorType::kQ4_K, TensorType::kQ5_K,
                                 TensorType::kQ6_K};

double Median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

// One kernel with its own (possibly packed) copy of the weights.
struct Candidate {
  const kernels::QuantGemmKernel* kernel;
  std::vector<uint8_t> w;
  size_t packed_rows = 0;
  std::vector<double> seconds;
};

}  // namespace

int main(int argc, char** argv) {
  int iters = 20, ref_every = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--iters=", 8) == 0) {
      iters = std::atoi(argv[i] + 8);
    } else if (std::strncmp(argv[i], "--ref-every=", 12) == 0) {
      ref_every = std::atoi(argv[i] + 12);
    } else {
      std::fprintf(stderr, "usage: %s [--iters=N] [--ref-every=M]\n", argv[0]);
      return 2;
    }
  }
  iters = std::max(iters, 1);
  ref_every = std::max(ref_every, 1);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  nlohmann::json results = nlohmann::json::array();
  uint64_t call_id = 0;
  for (TensorType type : kTypes) {
    const edgellm::quant::QuantTypeTraits& t =
        *edgellm::quant::FindQuantType(type);
    const kernels::ActivationFormat& f = *kernels::ActivationFormatFor(type);
    const size_t row_bytes = static_cast<size_t>(t.RowBytes(kIn));
    std::vector<uint8_t> plain(kOut * row_bytes);
    std::vector<float> wf(kIn);
    for (size_t r = 0; r < kOut; ++r) {
      for (float& v : wf) v = nd(rng);
      t.quantize(wf.data(), plain.data() + r * row_bytes, kIn);
    }
    std::vector<Candidate> cands;
    for (const kernels::QuantGemmKernel& k : kernels::QuantGemmKernels(type)) {
      if (!k.supported()) continue;
      Candidate c{&k, plain};
      if (k.pack != nullptr) {
        c.packed_rows =
            k.pack(plain.data(), kOut, kIn / t.block_values, c.w.data());
      }
      cands.push_back(std::move(c));
    }
    for (size_t batch : kBatches) {
      std::vector<float> x(batch * kIn), y(batch * kOut);
      for (float& v : x) v = nd(rng);
      std::vector<uint8_t> xq(batch * f.RowBytes(kIn));
      for (size_t b = 0; b < batch; ++b) {
        f.quantize(x.data() + b * kIn, xq.data() + b * f.RowBytes(kIn), kIn);
      }
      for (Candidate& c : cands) c.seconds.clear();
      for (int it = -1; it < iters; ++it) {  // it -1 warms up
        for (Candidate& c : cands) {
          const bool is_ref = std::strcmp(c.kernel->name, "ref") == 0;
          if (is_ref && it >= 0 && it % ref_every != 0) continue;
          const kernels::QuantGemmArgs args{c.w.data(),
                                            row_bytes,
                                            xq.data(),
                                            f.RowBytes(kIn),
                                            kIn / t.block_values,
                                            batch,
                                            nullptr,
                                            y.data(),
                                            kOut,
                                            ++call_id,
                                            c.packed_rows};
          const auto start = Clock::now();
          c.kernel->fn(args, 0, kOut);
          const double s =
              std::chrono::duration<double>(Clock::now() - start).count();
          if (it >= 0) c.seconds.push_back(s);
        }
      }
      for (const Candidate& c : cands) {
        const double sec = Median(c.seconds);
        results.push_back(
            {{"type", t.name},
             {"kernel", c.kernel->name},
             {"out", kOut},
             {"in", kIn},
             {"batch", batch},
             {"calls", c.seconds.size()},
             {"median_us", sec * 1e6},
             {"weight_gb_per_s", plain.size() / sec / 1e9},
             {"gmac_per_s", 1.0 * kOut * kIn * batch / sec / 1e9}});
      }
    }
  }
  nlohmann::json best = nlohmann::json::object();
  for (TensorType type : kTypes) {
    best[edgellm::quant::FindQuantType(type)->name] =
        kernels::BestQuantGemmKernel(type)->name;
  }
  const nlohmann::json out = {{"benchmark", "quant_gemm"},
                              {"threads", 1},
                              {"iters", iters},
                              {"best_kernel", best},
                              {"results", results}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
