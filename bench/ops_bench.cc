// Own elementwise/softmax code vs XNNPACK operators, printed as JSON; the
// numbers behind docs/ops_xnnpack_vs_own.md.
//
//   bazel run //bench:ops_bench
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "nlohmann/json.hpp"
#include "ops/activation.h"
#include "ops/softmax.h"
#include "ops/thread_pool.h"

namespace {

using Clock = std::chrono::steady_clock;

template <typename Fn>
double MedianUs(int iters, const Fn& fn) {
  fn();
  std::vector<double> t(iters);
  for (int i = 0; i < iters; ++i) {
    const auto start = Clock::now();
    fn();
    t[i] =
        std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  }
  std::nth_element(t.begin(), t.begin() + iters / 2, t.end());
  return t[iters / 2];
}

}  // namespace

int main() {
  using namespace edgellm::ops;
  auto pool = std::move(ThreadPool::Create(1)).value();
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  nlohmann::json results = nlohmann::json::array();
  constexpr int kIters = 200;

  // Softmax: vocabulary rows (32000, 151936) and an attention row (512).
  for (size_t n : {512, 32000, 151936}) {
    std::vector<float> x(n), y(n);
    for (float& v : x) v = nd(rng);
    const double own =
        MedianUs(kIters, [&] { Softmax(x.data(), 1, n, y.data(), nullptr); });
    auto op = XnnSoftmax::Create(n);
    const double xnn = MedianUs(
        kIters, [&] { (void)(*op)->Run(x.data(), 1, y.data(), pool.get()); });
    results.push_back(
        {{"op", "softmax"}, {"n", n}, {"own_us", own}, {"xnnpack_us", xnn}});
  }

  // SwiGLU on an FFN row (5632, 11008): own scalar silu(g)*u (SwiGluRef,
  // the former fast path) vs raw XNNPACK sigmoid + multiply + multiply (three
  // operators, as XNNPACK 2022 has no fused SiLU) vs ops::SwiGlu, which now
  // wraps those operators (chunked, cached per thread).
  for (size_t n : {5632, 11008}) {
    std::vector<float> g(n), u(n), y(n), tmp(n);
    for (float& v : g) v = nd(rng);
    for (float& v : u) v = nd(rng);
    const double own =
        MedianUs(kIters, [&] { SwiGluRef(g.data(), u.data(), n, y.data()); });
    const double fast = MedianUs(
        kIters, [&] { SwiGlu(g.data(), u.data(), n, y.data(), pool.get()); });
    xnn_operator_t sig = nullptr, mul = nullptr;
    xnn_create_sigmoid_nc_f32(n, n, n, 0, &sig);
    const float inf = std::numeric_limits<float>::infinity();
    xnn_create_multiply_nd_f32(-inf, inf, 0, &mul);
    const size_t shape[1] = {n};
    const double xnn = MedianUs(kIters, [&] {
      xnn_setup_sigmoid_nc_f32(sig, 1, g.data(), tmp.data(), pool->get());
      xnn_run_operator(sig, pool->get());
      xnn_setup_multiply_nd_f32(mul, 1, shape, 1, shape, tmp.data(), g.data(),
                                tmp.data(), pool->get());
      xnn_run_operator(mul, pool->get());
      xnn_setup_multiply_nd_f32(mul, 1, shape, 1, shape, tmp.data(), u.data(),
                                y.data(), pool->get());
      xnn_run_operator(mul, pool->get());
    });
    xnn_delete_operator(sig);
    xnn_delete_operator(mul);
    results.push_back({{"op", "swiglu"},
                       {"n", n},
                       {"own_us", own},
                       {"xnnpack_us", xnn},
                       {"ops_swiglu_us", fast}});
  }
  nlohmann::json out = {{"benchmark", "ops_xnnpack_vs_own"},
                        {"threads", 1},
                        {"results", results}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
