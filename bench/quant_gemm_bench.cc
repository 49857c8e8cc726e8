// The GEMM kernels of Q4_0, Q5_0, Q4_K, Q5_K and Q6_K side by side, printed as
// JSON: for each type, batch (1 = a decode GEMV, 16 = a prompt tile) and
// every kernel this CPU runs (ref, avx2, avx512vnni, ...), the median time
// of one call over a 2048 x 2048 matrix (--out, --in) on the calling
// thread, the weight GB/s and the multiply-adds per second. A matrix that
// fits the L2 (--out=256) gives a kernel's compute ceiling, free of the
// memory system's limits, to set against what decoding streams from DRAM.
// --copies=N gives each kernel N copies of its matrix, called in turn, so
// with N x the matrix well beyond the last-level cache every call streams
// its weights from DRAM as a decode step does (the reference is skipped
// then); the 10th percentile of the call times stands beside the median,
// since on a busy machine a call the scheduler did not interrupt is the
// one that shows the kernel's streaming rate. The kernels alternate call by
// call (ref only every --ref-every-th round: it is ~30x slower), so a machine
// that drifts slows every kernel alike. With --iters=1 it is short enough for
// `valgrind --tool=callgrind` (instruction counts per kernel function).
//
//   bazel run -c opt //bench:quant_gemm_bench [-- --iters=N --ref-every=M
//       --out=ROWS --in=COLS --types=q4_0,q4_k,... --batches=1,16
//       --copies=N]
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "bench/size_list.h"
#include "nlohmann/json.hpp"
#include "ops/kernels/quant_dispatch.h"
#include "ops/kernels/quant_gemm.h"
#include "quant/type_traits.h"

namespace {

namespace kernels = edgellm::ops::kernels;
using edgellm::gguf::TensorType;
using Clock = std::chrono::steady_clock;

constexpr TensorType kAllTypes[] = {TensorType::kQ4_0, TensorType::kQ5_0,
                                    TensorType::kQ4_K, TensorType::kQ5_K,
                                    TensorType::kQ6_K};

// The types named in `list` (lower-case GGUF names, comma-separated) among
// kAllTypes, or an empty vector if one is not.
std::vector<TensorType> ParseTypes(const std::string& list) {
  std::vector<TensorType> out;
  size_t begin = 0;
  while (begin <= list.size()) {
    size_t end = list.find(',', begin);
    if (end == std::string::npos) end = list.size();
    const std::string name = list.substr(begin, end - begin);
    bool found = false;
    for (TensorType t : kAllTypes) {
      std::string lower = edgellm::quant::FindQuantType(t)->name;
      for (char& c : lower) c = static_cast<char>(std::tolower(c));
      if (lower == name) {
        out.push_back(t);
        found = true;
      }
    }
    if (!found) return {};
    begin = end + 1;
  }
  return out;
}

// The value at fraction q (0..1) of the sorted times.
double Quantile(std::vector<double> v, double q) {
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(q * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

// One kernel with its own (possibly packed) copies of the weights, one after
// another.
struct Candidate {
  const kernels::QuantGemmKernel* kernel;
  std::vector<uint8_t> w;
  size_t packed_rows = 0;
  std::vector<double> seconds;
};

}  // namespace

int main(int argc, char** argv) {
  int iters = 20, ref_every = 5;
  size_t out_rows = 2048, in_cols = 2048, copies = 1;
  std::vector<size_t> batches = {1, 16};
  std::vector<TensorType> types(std::begin(kAllTypes), std::end(kAllTypes));
  for (int i = 1; i < argc; ++i) {
    const std::vector<size_t> one =
        std::strchr(argv[i], '=') != nullptr
            ? edgellm::bench::ParseSizes(std::strchr(argv[i], '=') + 1)
            : std::vector<size_t>{};
    bool ok = true;
    if (std::strncmp(argv[i], "--iters=", 8) == 0) {
      iters = std::atoi(argv[i] + 8);
    } else if (std::strncmp(argv[i], "--ref-every=", 12) == 0) {
      ref_every = std::atoi(argv[i] + 12);
    } else if (std::strncmp(argv[i], "--out=", 6) == 0) {
      ok = one.size() == 1;
      if (ok) out_rows = one[0];
    } else if (std::strncmp(argv[i], "--in=", 5) == 0) {
      // A multiple of 256 serves every type's block.
      ok = one.size() == 1 && one[0] % 256 == 0;
      if (ok) in_cols = one[0];
    } else if (std::strncmp(argv[i], "--copies=", 9) == 0) {
      ok = one.size() == 1;
      if (ok) copies = one[0];
    } else if (std::strncmp(argv[i], "--batches=", 10) == 0) {
      ok = !one.empty();
      if (ok) batches = one;
    } else if (std::strncmp(argv[i], "--types=", 8) == 0) {
      types = ParseTypes(argv[i] + 8);
      ok = !types.empty();
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "usage: %s [--iters=N] [--ref-every=M] [--out=ROWS] "
                   "[--in=COLS (a multiple of 256)] [--batches=1,16] "
                   "[--types=q4_0,q5_0,q4_k,q5_k,q6_k] [--copies=N]\n",
                   argv[0]);
      return 2;
    }
  }
  iters = std::max(iters, 1);
  ref_every = std::max(ref_every, 1);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  nlohmann::json results = nlohmann::json::array();
  uint64_t call_id = 0;
  for (TensorType type : types) {
    const edgellm::quant::QuantTypeTraits& t =
        *edgellm::quant::FindQuantType(type);
    const kernels::ActivationFormat& f = *kernels::ActivationFormatFor(type);
    const size_t row_bytes = static_cast<size_t>(t.RowBytes(in_cols));
    std::vector<uint8_t> plain(out_rows * row_bytes);
    std::vector<float> wf(in_cols);
    for (size_t r = 0; r < out_rows; ++r) {
      for (float& v : wf) v = nd(rng);
      t.quantize(wf.data(), plain.data() + r * row_bytes, in_cols);
    }
    std::vector<Candidate> cands;
    for (const kernels::QuantGemmKernel& k : kernels::QuantGemmKernels(type)) {
      if (!k.supported()) continue;
      if (copies > 1 && std::strcmp(k.name, "ref") == 0) continue;
      Candidate c{&k, plain};
      if (k.pack != nullptr) {
        c.packed_rows = k.pack(plain.data(), out_rows, in_cols / t.block_values,
                               c.w.data());
      }
      c.w.resize(copies * plain.size());
      for (size_t i = 1; i < copies; ++i) {
        std::memcpy(c.w.data() + i * plain.size(), c.w.data(), plain.size());
      }
      cands.push_back(std::move(c));
    }
    for (size_t batch : batches) {
      std::vector<float> x(batch * in_cols), y(batch * out_rows);
      for (float& v : x) v = nd(rng);
      std::vector<uint8_t> xq(batch * f.RowBytes(in_cols));
      for (size_t b = 0; b < batch; ++b) {
        f.quantize(x.data() + b * in_cols, xq.data() + b * f.RowBytes(in_cols),
                   in_cols);
      }
      for (Candidate& c : cands) c.seconds.clear();
      for (int it = -1; it < iters; ++it) {  // it -1 warms up
        for (Candidate& c : cands) {
          const bool is_ref = std::strcmp(c.kernel->name, "ref") == 0;
          if (is_ref && it >= 0 && it % ref_every != 0) continue;
          const uint8_t* w =
              c.w.data() + static_cast<size_t>(it + 1) % copies * plain.size();
          const kernels::QuantGemmArgs args{w,
                                            row_bytes,
                                            xq.data(),
                                            f.RowBytes(in_cols),
                                            in_cols / t.block_values,
                                            batch,
                                            nullptr,
                                            y.data(),
                                            out_rows,
                                            ++call_id,
                                            c.packed_rows};
          const auto start = Clock::now();
          c.kernel->fn(args, 0, out_rows);
          const double s =
              std::chrono::duration<double>(Clock::now() - start).count();
          if (it >= 0) c.seconds.push_back(s);
        }
      }
      for (const Candidate& c : cands) {
        const double sec = Quantile(c.seconds, 0.5);
        const double p10 = Quantile(c.seconds, 0.1);
        results.push_back(
            {{"type", t.name},
             {"kernel", c.kernel->name},
             {"out", out_rows},
             {"in", in_cols},
             {"batch", batch},
             {"calls", c.seconds.size()},
             {"copies", copies},
             {"median_us", sec * 1e6},
             {"p10_us", p10 * 1e6},
             {"weight_gb_per_s", plain.size() / sec / 1e9},
             {"p10_weight_gb_per_s", plain.size() / p10 / 1e9},
             {"gmac_per_s", 1.0 * out_rows * in_cols * batch / sec / 1e9}});
      }
    }
  }
  nlohmann::json best = nlohmann::json::object();
  for (TensorType type : types) {
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
