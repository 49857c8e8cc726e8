#include "ops/activation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ops/gelu_kernel.h"
#include "quant/fp16.h"

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

// The table GELU against its per-value definition (bit for bit) and both
// against the tanh formula in double: inputs cover the table's range, its
// cut-offs at +-10, values beyond, zeros and fp16 subnormals.
TEST(ActivationTest, GeluTableMatchesReferenceAndFormula) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  for (size_t n : {1, 7, 33, 4099, 70001}) {
    std::vector<float> x(n), want(n), got(n), exact(n);
    for (float& v : x) v = nd(rng);
    // Beyond the cut-offs only values that are not fp16 numbers tell the
    // rule (x itself, 0) from a lookup (x rounded; -0).
    const float specials[] = {-10.0f, 10.0f,    -9.999f,   9.999f, -12.3f,
                              25.3f,  10.0001f, -10.0001f, 0.0f,   -0.0f,
                              1e-6f,  -3e-7f,   0.5f,      -0.5f};
    for (size_t i = 0; i < std::min(n, std::size(specials)); ++i) {
      x[i] = specials[i];
    }
    GeluRef(x.data(), n, want.data());
    GeluTanhRef(x.data(), n, exact.data());
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), pool.get()}) {
      Gelu(x.data(), n, got.data(), p);
      ASSERT_EQ(0, std::memcmp(want.data(), got.data(), n * 4)) << "n=" << n;
    }
    // Every kernel this CPU runs, on the whole input and on odd tails.
    // The table as ggml builds it: the formula at every fp16 value, rounded
    // to fp16 (ggml-cpu.c ggml_cpu_init).
    std::vector<float> table(size_t{1} << 16);
    for (size_t i = 0; i < table.size(); ++i) {
      const float h = quant::Fp16ToFp32(static_cast<uint16_t>(i));
      float g;
      GeluTanhRef(&h, 1, &g);
      table[i] = quant::Fp16ToFp32(quant::Fp32ToFp16(g));
    }
    for (const auto* k : gelu_internal::SupportedGeluKernels()) {
      for (size_t start : {size_t{0}, std::min<size_t>(3, n)}) {
        std::fill(got.begin(), got.end(), -1.0f);
        k->run(table.data(), x.data() + start, n - start, got.data() + start);
        ASSERT_EQ(0, std::memcmp(want.data() + start, got.data() + start,
                                 (n - start) * 4))
            << k->name << " n=" << n << " start=" << start;
      }
    }
    auto gelu = [](double v) {
      return 0.5 * v *
             (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
    };
    for (size_t i = 0; i < n; ++i) {
      const double v = x[i];
      const double f = gelu(v);
      ASSERT_NEAR(exact[i], f, 1e-6 * (1 + std::fabs(f))) << v;
      // Two fp16 roundings, half an ulp (2^-11 relative) each: of the input,
      // which moves the result by |gelu'(x) x| 2^-11, and of the result;
      // plus the f32 formula's own cancellation in 1 + tanh for negative x
      // (0.5 |x| times f32 rounding) and fp16 subnormal steps (6e-8). The
      // cut-off at |x| = 10 is far below that (gelu(-10) ~ -1e-22).
      const double slope = (gelu(v * (1 + 1e-6)) - gelu(v * (1 - 1e-6))) / 2e-6;
      const double tol = (std::fabs(slope) + std::fabs(f)) * 0x1p-11 * 1.01;
      ASSERT_NEAR(want[i], f, tol + 1e-7 * (1 + std::fabs(v))) << v;
    }
    // In place.
    std::vector<float> z = x;
    Gelu(z.data(), n, z.data(), pool.get());
    ASSERT_EQ(z, want);
  }
}

// GELU's fp16 steps are visible: for some inputs the table result differs
// from the f32 formula (else the table would not be what ggml computes).
TEST(ActivationTest, GeluRoundsThroughFp16) {
  const float x[] = {0.1234567f, 1.2345678f, -0.7654321f, 3.3333333f};
  float table[4], exact[4];
  GeluRef(x, 4, table);
  GeluTanhRef(x, 4, exact);
  int differ = 0;
  for (int i = 0; i < 4; ++i) differ += table[i] != exact[i];
  EXPECT_GT(differ, 0);
  // And every table result is an fp16 value.
  for (float v : table) {
    EXPECT_EQ(v, quant::Fp16ToFp32(quant::Fp32ToFp16(v)));
  }
}

// GeGLU: gelu(gate) * up through the same table, against the per-value
// definition (GeluRef times up) bit for bit, serial, parallel and in place.
TEST(ActivationTest, GeGluIsTableGeluTimesUp) {
  auto pool = std::move(ThreadPool::Create(3)).value();
  std::mt19937 rng(9);
  std::normal_distribution<float> nd(0.0f, 4.0f);
  for (size_t n : {1, 5, 63, 4097, 30011}) {
    std::vector<float> g(n), u(n), gelu(n), want(n), ref(n), got(n);
    for (size_t i = 0; i < n; ++i) {
      g[i] = nd(rng);
      u[i] = nd(rng);
    }
    const float specials[] = {-10.0f, 10.0f, -9.999f, 9.999f, 0.0f, 1e-8f};
    for (size_t i = 0; i < std::min(n, std::size(specials)); ++i) {
      g[i] = specials[i];
    }
    GeluRef(g.data(), n, gelu.data());
    for (size_t i = 0; i < n; ++i) want[i] = gelu[i] * u[i];
    GeGluRef(g.data(), u.data(), n, ref.data());
    ASSERT_EQ(0, std::memcmp(want.data(), ref.data(), n * 4)) << n;
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), pool.get()}) {
      GeGlu(g.data(), u.data(), n, got.data(), p);
      ASSERT_EQ(0, std::memcmp(want.data(), got.data(), n * 4)) << n;
    }
    std::vector<float> in_gate = g, in_up = u;
    GeGlu(in_gate.data(), u.data(), n, in_gate.data(), pool.get());
    GeGlu(g.data(), in_up.data(), n, in_up.data(), pool.get());
    ASSERT_EQ(in_gate, want);
    ASSERT_EQ(in_up, want);
  }
}

}  // namespace
}  // namespace edgellm::ops
