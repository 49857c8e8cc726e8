#include "runtime/engine/context_shift.h"

#include <numeric>
#include <vector>

#include "gtest/gtest.h"

namespace edgellm::engine {
namespace {

std::vector<int32_t> Iota(int32_t n) {
  std::vector<int32_t> v(n);
  std::iota(v.begin(), v.end(), 100);
  return v;
}

TEST(ContextShiftTest, KeepCountsTheBosAndStaysBelowTheContext) {
  std::vector<int32_t> with_bos = Iota(10);
  with_bos[0] = 1;
  EXPECT_EQ(ContextShiftKeep(with_bos, 4, 1, 64), 5);
  EXPECT_EQ(ContextShiftKeep(Iota(10), 4, 1, 64), 4);
  EXPECT_EQ(ContextShiftKeep(Iota(10), 4, -1, 64), 4);
  EXPECT_EQ(ContextShiftKeep(Iota(10), 0, 1, 64), 0);
  EXPECT_EQ(ContextShiftKeep(Iota(10), 1000, 1, 64), 60);  // context - 4
}

TEST(ContextShiftTest, APromptKeepsItsStartAndWholeHalvesOfTheRestGo) {
  // context 64, keep 4: halves of 30; a prompt of 100 loses
  // (100 - 4 - 30) / 30 = 2 halves: 4 + 36 tokens are left.
  std::vector<int32_t> prompt = Iota(100);
  EXPECT_EQ(TruncatePromptForContext(prompt, 4, 64), 60);
  ASSERT_EQ(prompt.size(), 40u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(prompt[i], 100 + i);
  for (int i = 4; i < 40; ++i) EXPECT_EQ(prompt[i], 100 + 60 + i);
  // Every length from the context up fits afterwards.
  for (int32_t n = 64; n < 400; ++n) {
    std::vector<int32_t> p = Iota(n);
    TruncatePromptForContext(p, 4, 64);
    EXPECT_LT(p.size(), 64u) << n;
    EXPECT_GE(p.size(), 4u + 30u) << n;
  }
  std::vector<int32_t> fits = Iota(63);
  EXPECT_EQ(TruncatePromptForContext(fits, 4, 64), 0);
  EXPECT_EQ(fits.size(), 63u);
}

TEST(ContextShiftTest, AFullSequenceDropsHalfOfWhatFollowsTheKeptStart) {
  std::vector<int32_t> tokens = Iota(64);
  EXPECT_EQ(ShiftHistory(tokens, 4), 30);
  ASSERT_EQ(tokens.size(), 34u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(tokens[i], 100 + i);
  for (int i = 4; i < 34; ++i) EXPECT_EQ(tokens[i], 100 + 30 + i);
  std::vector<int32_t> odd = Iota(65);
  EXPECT_EQ(ShiftHistory(odd, 0), 32);
  EXPECT_EQ(odd.front(), 132);
}

}  // namespace
}  // namespace edgellm::engine
