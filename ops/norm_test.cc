#include "ops/norm.h"

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "ops/thread_pool.h"

namespace edgellm::ops {
namespace {

// Small test shapes must still take the parallel paths on multi-thread pools.
[[maybe_unused]] const size_t kSplitEveryCall = SetMinParallelWorkForTesting(0);

TEST(RmsNormTest, ReferenceMatchesDoubleMathAndFastIsIdentical) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 2.0f);
  for (size_t n : {1, 7, 33, 128, 2049}) {
    // Row counts around the eight interleaved rows and a parallel tile.
    for (size_t rows : {1, 3, 8, 9, 17, 24, 41}) {
      std::vector<float> x(rows * n), w(n), y(rows * n), y2(rows * n);
      for (float& v : x) v = nd(rng);
      for (float& v : w) v = nd(rng);
      const float eps = 1e-5f;
      RmsNormRef(x.data(), w.data(), rows, n, eps, y.data());
      RmsNorm(x.data(), w.data(), rows, n, eps, y2.data(), pool.get());
      EXPECT_EQ(0, std::memcmp(y.data(), y2.data(), y.size() * 4));
      for (size_t r = 0; r < rows; ++r) {
        double ss = 0;
        for (size_t i = 0; i < n; ++i)
          ss += double{x[r * n + i]} * x[r * n + i];
        const double scale = 1.0 / std::sqrt(ss / n + eps);
        for (size_t i = 0; i < n; ++i) {
          const double want = x[r * n + i] * scale * w[i];
          ASSERT_NEAR(y[r * n + i], want, 1e-5 * (1 + std::fabs(want)))
              << "n=" << n << " r=" << r << " i=" << i;
        }
      }
      // In place gives the same.
      std::vector<float> z = x;
      RmsNorm(z.data(), w.data(), rows, n, eps, z.data(), pool.get());
      EXPECT_EQ(z, y);
    }
  }
}

TEST(RmsNormTest, ZeroRowGivesZeros) {
  std::vector<float> x(8, 0.0f), w(8, 1.0f), y(8, 5.0f);
  RmsNormRef(x.data(), w.data(), 1, 8, 1e-6f, y.data());
  for (float v : y) EXPECT_EQ(v, 0.0f);
}

// LayerNorm against double math on odd widths, with and without bias, rows
// whose values are nearly equal (variance far below 1e-5, where eps = 1e-12
// and eps = 1e-5 give different rows), and the parallel path bit for bit.
TEST(LayerNormTest, ReferenceMatchesDoubleMathAndFastIsIdentical) {
  auto pool = std::move(ThreadPool::Create(2)).value();
  std::mt19937 rng(4);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (float spread : {2.0f, 0.01f}) {
    for (size_t n : {1, 7, 33, 384, 2049}) {
      for (size_t rows : {1, 3, 17}) {
        std::vector<float> x(rows * n), w(n), b(n), y(rows * n), y2(rows * n);
        for (float& v : x) v = 0.5f + spread * nd(rng);
        for (float& v : w) v = 1.0f + 0.2f * nd(rng);
        for (float& v : b) v = 0.1f * nd(rng);
        const float eps = 1e-12f;
        for (const float* bias : {static_cast<const float*>(nullptr),
                                  static_cast<const float*>(b.data())}) {
          LayerNormRef(x.data(), w.data(), bias, rows, n, eps, y.data());
          LayerNorm(x.data(), w.data(), bias, rows, n, eps, y2.data(),
                    pool.get());
          ASSERT_EQ(0, std::memcmp(y.data(), y2.data(), y.size() * 4));
          for (size_t r = 0; r < rows; ++r) {
            const float* xr = x.data() + r * n;
            double mean = 0, var = 0;
            for (size_t i = 0; i < n; ++i) mean += xr[i];
            mean /= n;
            for (size_t i = 0; i < n; ++i) {
              var += (xr[i] - mean) * (xr[i] - mean);
            }
            var /= n;
            const double scale = 1.0 / std::sqrt(var + eps);
            for (size_t i = 0; i < n; ++i) {
              const double want = (xr[i] - mean) * scale * w[i] +
                                  (bias != nullptr ? bias[i] : 0.0);
              ASSERT_NEAR(y[r * n + i], want, 2e-5 * (1 + std::fabs(want)))
                  << "n=" << n << " r=" << r << " i=" << i
                  << " spread=" << spread;
            }
          }
          // In place gives the same.
          std::vector<float> z = x;
          LayerNorm(z.data(), w.data(), bias, rows, n, eps, z.data(),
                    pool.get());
          EXPECT_EQ(z, y);
        }
      }
    }
  }
}

// A constant row has zero variance: eps alone sets the scale, the output is
// the bias.
TEST(LayerNormTest, ConstantRowGivesBias) {
  std::vector<float> x(8, 3.0f), w(8, 2.0f), b(8), y(8, 5.0f);
  for (int i = 0; i < 8; ++i) b[i] = 0.25f * i;
  LayerNormRef(x.data(), w.data(), b.data(), 1, 8, 1e-12f, y.data());
  for (int i = 0; i < 8; ++i) EXPECT_EQ(y[i], b[i]);
}

}  // namespace
}  // namespace edgellm::ops
