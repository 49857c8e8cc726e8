#include "ops/activation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace edgellm::ops {
namespace {

TEST(ActivationTest, ReferencesMatchDoubleMathAndSiluIsExact) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(2);
  std::normal_distribution<float> nd(0.0f, 4.0f);
  for (size_t n : {1, 5, 31, 10007}) {
    std::vector<float> g(n), u(n), y(n), s(n), s2(n);
    for (size_t i = 0; i < n; ++i) {
      g[i] = nd(rng);
      u[i] = nd(rng);
    }
    if (n > 4) {
      g[0] = 100.0f;   // exp(-x) underflows to 0
      g[1] = -100.0f;  // exp(-x) huge: silu -> -0
      g[2] = 0.0f;
    }
    SiluRef(g.data(), n, s.data());
    Silu(g.data(), n, s2.data(), pool.get());
    SwiGluRef(g.data(), u.data(), n, y.data());
    ASSERT_EQ(0, std::memcmp(s.data(), s2.data(), n * 4));
    for (size_t i = 0; i < n; ++i) {
      const double silu = g[i] / (1.0 + std::exp(-double{g[i]}));
      ASSERT_NEAR(s[i], silu, 1e-6 * (1 + std::fabs(silu))) << g[i];
      ASSERT_NEAR(y[i], silu * u[i], 1e-6 * (1 + std::fabs(silu * u[i])));
    }
  }
}

// The XNNPACK fast path against the reference, on random inputs, for sizes
// below/above one chunk (16384) and the threading threshold (65536), with a
// pool and without.
TEST(ActivationTest, SwiGluMatchesReference) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 4.0f);
  double max_rel = 0;
  for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), pool.get()}) {
    for (size_t n : {1, 5, 31, 5632, 16384, 16385, 70001}) {
      std::vector<float> g(n), u(n), want(n), got(n);
      for (size_t i = 0; i < n; ++i) {
        g[i] = nd(rng);
        u[i] = nd(rng);
      }
      if (n > 4) {
        g[0] = 100.0f;
        g[1] = -100.0f;
        g[2] = 0.0f;
      }
      SwiGluRef(g.data(), u.data(), n, want.data());
      SwiGlu(g.data(), u.data(), n, got.data(), p);
      for (size_t i = 0; i < n; ++i) {
        const double err = std::fabs(double{got[i]} - want[i]);
        // Relative, with an absolute floor for results near 0.
        ASSERT_LE(err, 1e-5 * std::max(1e-3, std::fabs(double{want[i]})))
            << "n=" << n << " i=" << i << " gate=" << g[i] << " up=" << u[i];
        if (std::fabs(want[i]) > 1e-3) {
          max_rel = std::max(max_rel, err / std::fabs(want[i]));
        }
      }
      // In place, as the transformer calls it: y aliases gate, then up.
      std::vector<float> g2 = g, u2 = u;
      SwiGlu(g2.data(), u.data(), n, g2.data(), p);
      ASSERT_EQ(g2, got) << "n=" << n;
      SwiGlu(g.data(), u2.data(), n, u2.data(), p);
      ASSERT_EQ(u2, got) << "n=" << n;
    }
  }
  RecordProperty("max_relative_error", std::to_string(max_rel));
  std::printf("SwiGlu vs SwiGluRef: max relative error %.3g\n", max_rel);
}

}  // namespace
}  // namespace edgellm::ops
