#include "quant/q8_0.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "quant/fp16.h"

namespace edgellm::quant {
namespace {

TEST(Q8_0Test, LayoutMatchesGgml) {
  EXPECT_EQ(sizeof(BlockQ8_0), 34u);  // ggml-common.h block_q8_0
  EXPECT_EQ(offsetof(BlockQ8_0, qs), 2u);
  EXPECT_EQ(Q8_0RowBytes(32), 34u);
  EXPECT_EQ(Q8_0RowBytes(4096), 128u * 34u);
}

// The documented bound on random data with outliers, all-zero blocks and
// tiny blocks (whose scale is an fp16 subnormal).
TEST(Q8_0Test, ErrorBoundHolds) {
  std::mt19937 rng(77);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::uniform_real_distribution<float> mag(-30.0f, 10.0f);
  constexpr size_t kBlocks = 20000;
  std::vector<float> x(kBlocks * kQ8_0BlockSize);
  for (size_t b = 0; b < kBlocks; ++b) {
    const float scale = std::exp2(mag(rng));
    for (int i = 0; i < kQ8_0BlockSize; ++i) {
      float v = nd(rng) * scale;
      if (b % 7 == 0 && i == 3) v *= 1000.0f;  // outlier
      if (b % 11 == 0) v = 0.0f;               // all-zero block
      x[b * kQ8_0BlockSize + i] = v;
    }
  }
  std::vector<BlockQ8_0> q(kBlocks);
  std::vector<float> y(x.size());
  QuantizeRowQ8_0(x.data(), q.data(), x.size());
  DequantizeRowQ8_0(q.data(), y.data(), y.size());
  for (size_t b = 0; b < kBlocks; ++b) {
    float amax = 0;
    for (int i = 0; i < kQ8_0BlockSize; ++i) {
      amax = std::max(amax, std::fabs(x[b * kQ8_0BlockSize + i]));
    }
    if (amax == 0) {
      EXPECT_EQ(q[b].d, 0);
      for (int8_t v : q[b].qs) EXPECT_EQ(v, 0);
    }
    const double bound = amax * kQ8_0MaxRelativeError + kQ8_0MaxAbsoluteError;
    for (int i = 0; i < kQ8_0BlockSize; ++i) {
      const size_t k = b * kQ8_0BlockSize + i;
      ASSERT_LE(std::fabs(double{x[k]} - y[k]), bound)
          << "block " << b << " amax " << amax << " x " << x[k];
      ASSERT_GE(q[b].qs[i], -127);  // symmetric: -128 is never produced
    }
  }
}

TEST(Q8_0Test, ExactValuesSurviveAndTiesRoundAwayFromZero) {
  float x[kQ8_0BlockSize] = {};
  for (int i = 0; i < kQ8_0BlockSize; ++i) x[i] = static_cast<float>(i - 16);
  x[31] = 127.0f;  // d = 1
  x[1] = 2.5f;     // ggml's reference uses roundf: 3
  BlockQ8_0 q;
  QuantizeRowQ8_0(x, &q, kQ8_0BlockSize);
  EXPECT_EQ(Fp16ToFp32(q.d), 1.0f);
  EXPECT_EQ(q.qs[0], -16);
  EXPECT_EQ(q.qs[1], 3);
  EXPECT_EQ(q.qs[31], 127);
}

TEST(Q8_0Test, NonFiniteAndSubnormalInputsAreSafe) {
  float x[kQ8_0BlockSize] = {};
  x[0] = std::ldexp(1.0f, -140);  // d = amax/127 is an f32 subnormal
  x[1] = -x[0];
  BlockQ8_0 q;
  QuantizeRowQ8_0(x, &q, kQ8_0BlockSize);  // no UB (ubsan config checks)
  float y[kQ8_0BlockSize];
  DequantizeRowQ8_0(&q, y, kQ8_0BlockSize);
  for (float v : y) EXPECT_LE(std::fabs(v), std::ldexp(1.0f, -139));
}

}  // namespace
}  // namespace edgellm::quant
