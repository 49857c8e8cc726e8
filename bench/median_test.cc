#include "bench/median.h"

#include "gtest/gtest.h"

namespace edgellm::bench {
namespace {

TEST(MedianTest, TheMiddleSampleInAnyOrder) {
  EXPECT_EQ(Median({}), 0);
  EXPECT_EQ(Median({4}), 4);
  EXPECT_EQ(Median({9, 1, 5}), 5);
  EXPECT_EQ(Median({3, 8, 1, 6}), 6);  // the upper middle of an even count
  EXPECT_EQ(Median({2, 2, 7, 2, 100}), 2);
}

}  // namespace
}  // namespace edgellm::bench
