// Own elementwise/softmax code vs XNNPACK operators, and own attention,
// printed as JSON; the numbers behind docs/ops_xnnpack_vs_own.md.
//
//   bazel run //bench:ops_bench
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "nlohmann/json.hpp"
#include "ops/activation.h"
#include "ops/attention.h"
#include "ops/softmax.h"
#include "ops/thread_pool.h"
#include "quant/fp16.h"

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
  // Attention (own code only; XNNPACK 2022 has no attention operator) on
  // tinyllama-1.1b's shape: 32 query heads, 4 KV heads, head_dim 64. Prompt
  // batches of 128 and 512 tokens from position 0 and a decode step at
  // positions 511 and 2047, f32 and f16 caches, on 1 and 2 threads. Only the
  // public API, so the same file times older versions of ops/attention.cc.
  struct AttnCase {
    size_t n_tokens, pos0;
    int iters;
  };
  for (const AttnCase& c : {AttnCase{128, 0, 20}, AttnCase{512, 0, 5},
                            AttnCase{1, 511, 200}, AttnCase{1, 2047, 100}}) {
    const AttentionShape shape{32, 4, 64, c.pos0 + c.n_tokens};
    std::vector<float> q(c.n_tokens * 32 * 64), out(q.size());
    std::vector<float> k(shape.n_ctx * 4 * 64), v(k.size());
    for (float& x : q) x = nd(rng);
    for (float& x : k) x = nd(rng);
    for (float& x : v) x = nd(rng);
    std::vector<uint16_t> k16(k.size()), v16(v.size());
    for (size_t i = 0; i < k.size(); ++i) {
      k16[i] = edgellm::quant::Fp32ToFp16(k[i]);
      v16[i] = edgellm::quant::Fp32ToFp16(v[i]);
    }
    std::vector<float> scratch(AttentionScratchFloats(shape));
    for (size_t threads : {1, 2}) {
      auto tp = std::move(ThreadPool::Create(threads)).value();
      const double f32 = MedianUs(c.iters, [&] {
        (void)Attention(shape, q.data(), c.n_tokens, c.pos0, k.data(), v.data(),
                        out.data(), scratch.data(), scratch.size(), tp.get());
      });
      const double f16 = MedianUs(c.iters, [&] {
        (void)AttentionF16(shape, q.data(), c.n_tokens, c.pos0, k16.data(),
                           v16.data(), out.data(), scratch.data(),
                           scratch.size(), tp.get());
      });
      results.push_back({{"op", "attention_tinyllama"},
                         {"n_tokens", c.n_tokens},
                         {"pos0", c.pos0},
                         {"threads", threads},
                         {"f32_cache_us", f32},
                         {"f16_cache_us", f16}});
    }
  }

  nlohmann::json out = {{"benchmark", "ops_xnnpack_vs_own"},
                        {"threads", 1},
                        {"results", results}};
  std::printf("%s\n", out.dump(2).c_str());
  return 0;
}
