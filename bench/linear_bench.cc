// Linear-layer throughput, printed as JSON (benchmarks are programs that
// print JSON, never timed tests). For each shape (out x in), kernel and thread
// count: the median time of a GEMV (batch 1), the weight bytes streamed per
// second and the multiply-adds as GFLOP-equivalents (2 * in * out per call).
// Also f32 weights: plain reference vs XNNPACK fully_connected.
//
//   bazel run //bench:linear_bench [-- --iters=N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "ops/kernels/dispatch.h"
#include "ops/linear.h"
#include "ops/thread_pool.h"
#include "quant/q8_0.h"

namespace {

using edgellm::ops::ThreadPool;
using Clock = std::chrono::steady_clock;

struct Shape {
  size_t out, in;
};
constexpr Shape kShapes[] = {{2048, 2048}, {5632, 2048}};
constexpr size_t kThreadCounts[] = {1, 2};

template <typename Fn>
double MedianSeconds(int iters, const Fn& fn) {
  fn();  // warm up caches and the pool
  std::vector<double> t(iters);
  for (int i = 0; i < iters; ++i) {
    const auto start = Clock::now();
    fn();
    t[i] = std::chrono::duration<double>(Clock::now() - start).count();
  }
  std::nth_element(t.begin(), t.begin() + iters / 2, t.end());
  return t[iters / 2];
}

nlohmann::json Row(const std::string& weights, const std::string& kernel,
                   const Shape& s, size_t threads, double sec, double bytes) {
  return {{"weights", weights},
          {"kernel", kernel},
          {"out", s.out},
          {"in", s.in},
          {"batch", 1},
          {"threads", threads},
          {"median_us", sec * 1e6},
          {"weight_gb_per_s", bytes / sec / 1e9},
          {"gflops", 2.0 * s.in * s.out / sec / 1e9}};
}

}  // namespace

int main(int argc, char** argv) {
  int iters = 50;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--iters=", 8) == 0)
      iters = std::atoi(argv[i] + 8);
  }
  iters = std::max(iters, 1);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  nlohmann::json results = nlohmann::json::array();

  for (const Shape& s : kShapes) {
    std::vector<float> wf(s.out * s.in), x(s.in), y(s.out);
    for (float& v : wf) v = nd(rng);
    for (float& v : x) v = nd(rng);
    std::vector<edgellm::quant::BlockQ8_0> w(s.out * s.in / 32);
    edgellm::quant::QuantizeRowQ8_0(wf.data(), w.data(), wf.size());
    const double q8_bytes = w.size() * sizeof(edgellm::quant::BlockQ8_0);

    for (size_t threads : kThreadCounts) {
      auto pool = std::move(ThreadPool::Create(threads)).value();
      for (const auto& k : edgellm::ops::kernels::Q8_0GemmKernels()) {
        if (!k.supported()) continue;
        const double sec = MedianSeconds(iters, [&] {
          (void)edgellm::ops::LinearQ8_0WithKernel(k, x.data(), 1, s.in,
                                                   w.data(), s.out, nullptr,
                                                   y.data(), pool.get());
        });
        results.push_back(Row("q8_0", k.name, s, threads, sec, q8_bytes));
      }
      const double f32_bytes = wf.size() * sizeof(float);
      const double ref_sec = MedianSeconds(std::max(iters / 5, 1), [&] {
        (void)edgellm::ops::LinearF32Ref(x.data(), 1, s.in, wf.data(), s.out,
                                         nullptr, y.data(), pool.get());
      });
      results.push_back(Row("f32", "ref", s, threads, ref_sec, f32_bytes));
      auto op = edgellm::ops::PackedLinear::CreateF32(wf.data(), s.in, s.out,
                                                      nullptr);
      if (op.ok()) {
        const double sec = MedianSeconds(iters, [&] {
          (void)(*op)->Run(x.data(), 1, y.data(), pool.get());
        });
        results.push_back(Row("f32", "xnnpack", s, threads, sec, f32_bytes));
      }
    }
  }
  nlohmann::json out = {
      {"benchmark", "linear_gemv"},
      {"best_q8_0_kernel", edgellm::ops::kernels::BestQ8_0GemmKernel().name},
      {"iters", iters},
      {"results", results}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
