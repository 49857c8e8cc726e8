#include "runtime/engine/time_share.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace edgellm {
namespace {

// Runs `turns` turns among the busy flows of `share`: each time the first
// flow that IsNext, whose turn lasts length(flow, budget) ns. The order,
// one letter per turn ('a' = flow 0).
std::string RunTurns(TimeShare& share, int turns,
                     const std::function<int64_t(int, int64_t)>& length) {
  std::string order;
  for (int t = 0; t < turns; ++t) {
    int next = -1;
    for (int id = 0; id < 8 && next < 0; ++id) {
      if (share.busy(id) && share.IsNext(id)) next = id;
    }
    EXPECT_GE(next, 0) << "no busy flow may run after " << order;
    if (next < 0) break;
    share.Charge(next, length(next, share.Budget(next)));
    order += static_cast<char>('a' + next);
  }
  return order;
}

TimeShare WithBusy(int flows, std::vector<double> weights = {}) {
  TimeShare share;
  for (int i = 0; i < flows; ++i) {
    share.Add(i < static_cast<int>(weights.size()) ? weights[i] : 1.0);
    share.SetBusy(i, true);
  }
  return share;
}

// The longest run of one letter in `order`.
size_t LongestRun(const std::string& order, char who) {
  size_t best = 0, run = 0;
  for (char c : order) {
    run = c == who ? run + 1 : 0;
    best = std::max(best, run);
  }
  return best;
}

TEST(TimeShareTest, EqualTurnsGoRoundRobin) {
  TimeShare share = WithBusy(3);
  const std::string order =
      RunTurns(share, 30, [](int, int64_t) { return int64_t{100}; });
  EXPECT_EQ(order, "abcabcabcabcabcabcabcabcabcabc");
}

TEST(TimeShareTest, ASizedFlowTakesTheOthersTurnLengthBetweenItsSteps) {
  // a: decode steps of 3 ms; b: embedding chunks sized to the budget.
  TimeShare share = WithBusy(2);
  const std::string order = RunTurns(share, 200, [](int id, int64_t budget) {
    return id == 0 ? int64_t{3'000'000} : std::max<int64_t>(budget, 1);
  });
  // Strict alternation after the first turns: one chunk between two steps.
  EXPECT_EQ(LongestRun(order.substr(2), 'a'), 1u) << order;
  EXPECT_EQ(LongestRun(order.substr(2), 'b'), 1u) << order;
  // And half the time each, within one step.
  EXPECT_LE(std::llabs(share.charged(0) - share.charged(1)), 3'000'000);
}

TEST(TimeShareTest, ALongTurnIsPaidBackWithAsManyTurnsOfTheOther) {
  // b's least turn (one whole text) is 10 steps of a.
  TimeShare share = WithBusy(2);
  const std::string order = RunTurns(share, 220, [](int id, int64_t) {
    return id == 0 ? int64_t{1'000} : int64_t{10'000};
  });
  EXPECT_EQ(LongestRun(order, 'b'), 1u) << order;
  EXPECT_LE(LongestRun(order, 'a'), 11u) << order;
  // Within one turn of each.
  EXPECT_LE(std::llabs(share.charged(0) - share.charged(1)), 11'000);
}

TEST(TimeShareTest, AShortTurnDoesNotRepeatBeforeTheOthers) {
  // b's passes fall short of their budget (a pass sized from an estimate):
  // it does not go twice in a row, its due carries over to its next turn.
  TimeShare share = WithBusy(2);
  const std::string order = RunTurns(share, 200, [](int id, int64_t budget) {
    return id == 0 ? int64_t{1'000} : std::max<int64_t>(budget * 9 / 10, 1);
  });
  EXPECT_EQ(LongestRun(order.substr(2), 'b'), 1u) << order;
  EXPECT_EQ(LongestRun(order.substr(2), 'a'), 1u) << order;
  EXPECT_LE(std::llabs(share.charged(0) - share.charged(1)), 2'000);
}

TEST(TimeShareTest, WeightsSetTheShares) {
  TimeShare share = WithBusy(2, {2.0, 1.0});
  RunTurns(share, 300, [](int, int64_t) { return int64_t{1'000}; });
  // Two thirds against one third: charged / weight within one turn / weight
  // of each (500 + 1,000).
  EXPECT_NEAR(static_cast<double>(share.charged(0)) / 2.0,
              static_cast<double>(share.charged(1)), 1'500);
  EXPECT_GT(share.charged(0), 190'000);
}

TEST(TimeShareTest, IdleTimeEarnsNoCredit) {
  TimeShare share = WithBusy(2);
  share.SetBusy(1, false);
  // a alone for 50 turns: not waited for by anyone, so it runs on.
  EXPECT_EQ(RunTurns(share, 50, [](int, int64_t) { return int64_t{1'000}; }),
            std::string(50, 'a'));
  EXPECT_EQ(share.Budget(0), TimeShare::kUnbounded);
  // b comes back level with a, not 50 turns behind: they alternate.
  share.SetBusy(1, true);
  const std::string order =
      RunTurns(share, 20, [](int, int64_t) { return int64_t{1'000}; });
  EXPECT_EQ(LongestRun(order, 'a'), 1u) << order;
  EXPECT_EQ(LongestRun(order, 'b'), 1u) << order;
}

TEST(TimeShareTest, AFlowNotBusyIsNotWaitedForAndMayRun) {
  TimeShare share = WithBusy(2);
  share.Charge(0, 1'000);
  EXPECT_FALSE(share.IsNext(0));  // b is behind
  share.SetBusy(1, false);
  EXPECT_TRUE(share.IsNext(0));
  EXPECT_FALSE(share.OthersBusy(0));
  EXPECT_TRUE(share.IsNext(1));  // not busy: may always run
  share.Remove(1);
  EXPECT_TRUE(share.IsNext(0));
}

TEST(PassSizerTest, ConvergesOnTheTokensThatFitAnAffineCost) {
  // A pass of n tokens takes 2 ms + 0.5 ms x n; a budget of 6 ms fits 8.
  PassSizer sizer;
  EXPECT_EQ(sizer.Tokens(6'000'000, 1, 64), 1);  // nothing seen yet
  EXPECT_EQ(sizer.Tokens(TimeShare::kUnbounded, 1, 64), 64);
  int64_t n = 1;
  for (int i = 0; i < 40; ++i) {
    sizer.Observe(2'000'000 + 500'000 * n, n);
    n = sizer.Tokens(6'000'000, 1, 64);
  }
  // Within the budget, and at most one token short of filling it (the
  // estimate comes from above: floor(6 / (5.5 / 7)) = 7).
  EXPECT_GE(n, 7);
  EXPECT_LE(n, 8);
  EXPECT_EQ(sizer.Tokens(0, 1, 64), 1);
  EXPECT_EQ(sizer.Tokens(1'000'000'000, 1, 64), 64);
}

}  // namespace
}  // namespace edgellm
