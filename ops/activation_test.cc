#include "ops/activation.h"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace edgellm::ops {
namespace {

TEST(ActivationTest, SiluAndSwiGluMatchDoubleMath) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(2);
  std::normal_distribution<float> nd(0.0f, 4.0f);
  for (size_t n : {1, 5, 31, 10007}) {
    std::vector<float> g(n), u(n), y(n), y2(n), s(n), s2(n);
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
    SwiGlu(g.data(), u.data(), n, y2.data(), pool.get());
    ASSERT_EQ(0, std::memcmp(s.data(), s2.data(), n * 4));
    ASSERT_EQ(0, std::memcmp(y.data(), y2.data(), n * 4));
    for (size_t i = 0; i < n; ++i) {
      const double silu = g[i] / (1.0 + std::exp(-double{g[i]}));
      ASSERT_NEAR(s[i], silu, 1e-6 * (1 + std::fabs(silu))) << g[i];
      ASSERT_NEAR(y[i], silu * u[i], 1e-6 * (1 + std::fabs(silu * u[i])));
    }
  }
}

TEST(ActivationTest, InPlace) {
  std::vector<float> g = {-1.5f, 0.25f, 3.0f}, u = {2.0f, -1.0f, 0.5f};
  std::vector<float> want(3);
  SwiGluRef(g.data(), u.data(), 3, want.data());
  SwiGlu(g.data(), u.data(), 3, g.data(), nullptr);
  EXPECT_EQ(g, want);
}

}  // namespace
}  // namespace edgellm::ops
