// The Q8_0 GEMM kernels on the calling thread, as JSON: for each matrix
// shape (--shapes=OUTxIN,...; default the prompt GEMMs of tinyllama-1.1b and
// qwen3-0.6b), batch (--batches, default 128 = a prompt chunk) and every
// kernel this CPU runs (the reference with --ref), the median time of one
// call and the multiply-adds per second. The kernels alternate call by call,
// so a drifting machine slows each alike. Compares a kernel's rate across
// K and N (issue 13: qwen3's 1024-wide GEMMs against tinyllama's 2048-wide).
//
//   bazel run -c opt //bench:q8_0_gemm_bench [-- --iters=N --batches=128
//       --shapes=2048x2048,256x2048,5632x2048,2048x5632 --ref]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench/median.h"
#include "bench/size_list.h"
#include "nlohmann/json.hpp"
#include "ops/kernels/dispatch.h"
#include "ops/kernels/q8_0_gemm.h"
#include "quant/q8_0.h"

namespace {

namespace kernels = edgellm::ops::kernels;
using edgellm::quant::BlockQ8_0;
using Clock = std::chrono::steady_clock;

struct Shape {
  size_t out, in;
};

// "OUTxIN,OUTxIN,..." with IN a multiple of 32, or empty if malformed.
std::vector<Shape> ParseShapes(const char* list) {
  std::vector<Shape> shapes;
  for (const char* p = list; *p != '\0';) {
    char* end = nullptr;
    const long out = std::strtol(p, &end, 10);
    if (end == p || *end != 'x' || out <= 0) return {};
    p = end + 1;
    const long in = std::strtol(p, &end, 10);
    if (end == p || in <= 0 || in % 32 != 0) return {};
    if (*end != ',' && *end != '\0') return {};
    shapes.push_back({static_cast<size_t>(out), static_cast<size_t>(in)});
    p = *end == ',' ? end + 1 : end;
  }
  return shapes;
}

// One kernel with its own (possibly packed) copy of the weights.
struct Candidate {
  const kernels::Q8_0GemmKernel* kernel;
  std::vector<BlockQ8_0> w;
  size_t packed_rows = 0;
  std::vector<double> seconds;
};

}  // namespace

int main(int argc, char** argv) {
  int iters = 10;
  bool with_ref = false;
  // tinyllama-1.1b: q/o, k/v, gate/up, down; qwen3-0.6b: q, k/v, o,
  // gate/up, down.
  std::vector<Shape> shapes = ParseShapes(
      "2048x2048,256x2048,5632x2048,2048x5632,"
      "2048x1024,1024x1024,1024x2048,3072x1024,1024x3072");
  std::vector<size_t> batches = {128};
  for (int i = 1; i < argc; ++i) {
    bool ok = true;
    if (std::strncmp(argv[i], "--iters=", 8) == 0) {
      iters = std::atoi(argv[i] + 8);
    } else if (std::strcmp(argv[i], "--ref") == 0) {
      with_ref = true;
    } else if (std::strncmp(argv[i], "--shapes=", 9) == 0) {
      shapes = ParseShapes(argv[i] + 9);
      ok = !shapes.empty();
    } else if (std::strncmp(argv[i], "--batches=", 10) == 0) {
      batches = edgellm::bench::ParseSizes(argv[i] + 10);
      ok = !batches.empty();
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "usage: %s [--iters=N] [--ref] [--batches=128,...] "
                   "[--shapes=OUTxIN,... (IN a multiple of 32)]\n",
                   argv[0]);
      return 2;
    }
  }
  iters = std::max(iters, 1);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  nlohmann::json results = nlohmann::json::array();
  uint64_t call_id = 0;
  for (const Shape& s : shapes) {
    const size_t nb = s.in / 32;
    std::vector<float> wf(s.out * s.in);
    for (float& v : wf) v = nd(rng);
    std::vector<BlockQ8_0> plain(s.out * nb);
    edgellm::quant::QuantizeRowQ8_0(wf.data(), plain.data(), wf.size());
    std::vector<Candidate> cands;
    for (const kernels::Q8_0GemmKernel& k : kernels::Q8_0GemmKernels()) {
      if (!k.supported()) continue;
      if (!with_ref && std::strcmp(k.name, "ref") == 0) continue;
      Candidate c{&k, plain};
      if (k.pack != nullptr) {
        c.packed_rows = k.pack(plain.data(), s.out, nb, c.w.data());
      }
      cands.push_back(std::move(c));
    }
    for (size_t batch : batches) {
      std::vector<float> x(batch * s.in), y(batch * s.out);
      for (float& v : x) v = nd(rng);
      std::vector<BlockQ8_0> xq(batch * nb);
      for (size_t b = 0; b < batch; ++b) {
        kernels::QuantizeRowQ8_0Activations(x.data() + b * s.in,
                                            xq.data() + b * nb, s.in);
      }
      for (Candidate& c : cands) c.seconds.clear();
      for (int it = -1; it < iters; ++it) {  // it -1 warms up
        for (Candidate& c : cands) {
          kernels::Q8_0GemmArgs args{c.w.data(), xq.data(), nb,   batch,
                                     nullptr,    y.data(),  s.out};
          args.call_id = ++call_id;
          args.packed_rows = c.packed_rows;
          const auto t0 = Clock::now();
          c.kernel->fn(args, 0, s.out);
          const double sec =
              std::chrono::duration<double>(Clock::now() - t0).count();
          if (it >= 0) c.seconds.push_back(sec);
        }
      }
      for (const Candidate& c : cands) {
        const double sec = edgellm::bench::Median(c.seconds);
        results.push_back(
            {{"kernel", c.kernel->name},
             {"out", s.out},
             {"in", s.in},
             {"batch", batch},
             {"median_us", sec * 1e6},
             {"gmac_per_s", double(s.out) * s.in * batch / sec / 1e9}});
      }
    }
  }
  std::printf("%s\n", results.dump(1).c_str());
  return 0;
}
