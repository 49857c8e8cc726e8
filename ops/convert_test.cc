#include "ops/convert.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "ops/thread_pool.h"

namespace edgellm::ops {
namespace {

TEST(ConvertTest, XnnpackF32ToF16IsBitIdenticalToReference) {
  auto pool = ThreadPool::Create(1);  // initializes XNNPACK
  ASSERT_TRUE(pool.ok());
  std::mt19937 rng(3);
  for (size_t channels : {1, 7, 64, 257}) {
    for (size_t rows : {1, 2, 9}) {
      std::vector<float> x(rows * channels);
      // Wide magnitudes: subnormal halves, overflow to inf, ties, signs.
      std::uniform_real_distribution<float> mant(-2.0f, 2.0f);
      std::uniform_int_distribution<int> exp(-30, 20);
      for (float& v : x) v = std::ldexp(mant(rng), exp(rng));
      x[0] = std::numeric_limits<float>::infinity();
      if (x.size() > 1) x[1] = 65520.0f;            // rounds to inf in half
      if (x.size() > 2) x[2] = 1.0f + 1.0f / 2048;  // a tie
      std::vector<uint16_t> want(x.size()), got(x.size(), 0xdead);
      ConvertF32ToF16Ref(x.data(), rows, channels, want.data());
      auto op = F32ToF16Converter::Create(channels);
      ASSERT_TRUE(op.ok()) << op.status();
      ASSERT_TRUE((*op)->Run(x.data(), rows, got.data()).ok());
      for (size_t i = 0; i < x.size(); ++i) {
        ASSERT_EQ(got[i], want[i])
            << "channels=" << channels << " i=" << i << " x=" << x[i];
      }
    }
  }
}

TEST(ConvertTest, ZeroChannelsIsAnError) {
  auto pool = ThreadPool::Create(1);
  ASSERT_TRUE(pool.ok());
  EXPECT_FALSE(F32ToF16Converter::Create(0).ok());
}

}  // namespace
}  // namespace edgellm::ops
