#include "runtime/model/kv_block_tables.h"

#include <algorithm>
#include <numeric>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace edgellm::model {
namespace {

std::vector<int32_t> Tokens(int32_t n, int32_t first) {
  std::vector<int32_t> t(n);
  std::iota(t.begin(), t.end(), first);
  return t;
}

// Runs a whole prompt through slot `slot` as a forward pass would: prepare,
// (the pass writes), commit. Returns the copies on write it asked for (in
// group 0; a windowed group's are checked by WriteAll).
std::vector<std::pair<int32_t, int32_t>> Write(
    KvBlockTables& t, int32_t slot, int32_t pos0,
    const std::vector<int32_t>& tokens) {
  std::vector<std::pair<int32_t, int32_t>> copies;
  const absl::Status s = t.PrepareWrite(
      slot, pos0, tokens, [&](int32_t group, int32_t from, int32_t to) {
        EXPECT_EQ(group, 0);
        copies.emplace_back(from, to);
      });
  EXPECT_TRUE(s.ok()) << s;
  t.CommitWrite(slot, pos0 + static_cast<int32_t>(tokens.size()));
  return copies;
}

TEST(KvBlockTablesTest, ColdSequenceGetsPrivateBlocksAndPublishesFullOnes) {
  KvBlockTables t(/*blocks=*/8, /*block_size=*/4, /*slots=*/2,
                  /*context=*/32, /*prefix_cache=*/true);
  const std::vector<int32_t> prompt = Tokens(10, 1);
  absl::StatusOr<int32_t> cached = t.StartSequence(0, prompt, 12, true);
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_EQ(*cached, 0);
  EXPECT_EQ(t.pool().reserved(), 3);  // ceil(12 / 4)
  EXPECT_TRUE(Write(t, 0, 0, prompt).empty());
  EXPECT_EQ(t.blocks_held(0), 3);
  EXPECT_EQ(t.pool().reserved(), 0);
  EXPECT_EQ(t.pool().cached(), 2);  // the two full blocks
}

TEST(KvBlockTablesTest, SecondSequenceSharesTheCachedPrefix) {
  KvBlockTables t(8, 4, 2, 32, true);
  const std::vector<int32_t> prompt = Tokens(10, 1);
  ASSERT_TRUE(t.StartSequence(0, prompt, 12, true).ok());
  Write(t, 0, 0, prompt);
  std::vector<int32_t> other = prompt;
  other[9] = 99;  // same first two blocks, different third
  absl::StatusOr<int32_t> cached = t.StartSequence(1, other, 12, true);
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_EQ(*cached, 8);
  EXPECT_EQ(t.table(1)[0], t.table(0)[0]);
  EXPECT_EQ(t.table(1)[1], t.table(0)[1]);
  EXPECT_EQ(t.pool().refs(t.table(0)[0]), 2);
  // Positions 8.. go to a block of its own: no copy.
  EXPECT_TRUE(Write(t, 1, 8, {other.begin() + 8, other.end()}).empty());
  EXPECT_NE(t.table(1)[2], t.table(0)[2]);
}

TEST(KvBlockTablesTest, ADifferentFirstBlockSharesNothing) {
  KvBlockTables t(8, 4, 2, 32, true);
  const std::vector<int32_t> prompt = Tokens(10, 1);
  ASSERT_TRUE(t.StartSequence(0, prompt, 12, true).ok());
  Write(t, 0, 0, prompt);
  std::vector<int32_t> other = prompt;
  other[0] = 77;  // the later blocks' tokens match, their prefix does not
  absl::StatusOr<int32_t> cached = t.StartSequence(1, other, 12, true);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(*cached, 0);
}

TEST(KvBlockTablesTest, WholePromptCachedCopiesTheLastBlockOnWrite) {
  KvBlockTables t(8, 4, 2, 32, true);
  const std::vector<int32_t> prompt = Tokens(8, 1);
  ASSERT_TRUE(t.StartSequence(0, prompt, 10, true).ok());
  Write(t, 0, 0, prompt);
  const int32_t shared_last = t.table(0)[1];
  // Slot 1 reuses both blocks but must run the last prompt token again
  // (its logits start the generation): that write goes to a copy.
  absl::StatusOr<int32_t> cached = t.StartSequence(1, prompt, 10, true);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(*cached, 7);
  const auto copies = Write(t, 1, 7, {prompt[7]});
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].first, shared_last);
  EXPECT_EQ(copies[0].second, t.table(1)[1]);
  EXPECT_NE(t.table(1)[1], shared_last);
  EXPECT_EQ(t.table(0)[1], shared_last);  // slot 0's block is untouched
  EXPECT_EQ(t.pool().refs(shared_last), 1);
  EXPECT_EQ(t.table(1)[0], t.table(0)[0]);  // the first stays shared
}

TEST(KvBlockTablesTest, EndedSequencesStayCachedAndFreeTheirBlocks) {
  KvBlockTables t(4, 4, 2, 16, true);
  const std::vector<int32_t> prompt = Tokens(9, 1);
  ASSERT_TRUE(t.StartSequence(0, prompt, 12, true).ok());
  Write(t, 0, 0, prompt);
  t.EndSequence(0);
  EXPECT_EQ(t.pool().free(), 4);
  EXPECT_EQ(t.pool().reserved(), 0);
  EXPECT_EQ(t.pool().cached(), 2);
  absl::StatusOr<int32_t> cached = t.StartSequence(1, prompt, 12, true);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(*cached, 8);
}

TEST(KvBlockTablesTest, PressureEvictsTheLeastRecentlyFreedPrefix) {
  KvBlockTables t(4, 4, 2, 16, true);
  const std::vector<int32_t> a = Tokens(8, 1), b = Tokens(8, 100);
  ASSERT_TRUE(t.StartSequence(0, a, 8, true).ok());
  Write(t, 0, 0, a);
  t.EndSequence(0);
  ASSERT_TRUE(t.StartSequence(0, b, 8, true).ok());
  Write(t, 0, 0, b);
  t.EndSequence(0);
  EXPECT_EQ(t.pool().cached(), 4);
  // A sequence needing two blocks takes a's (freed first): a is gone, b's
  // blocks are still there.
  const std::vector<int32_t> c = Tokens(8, 500);
  ASSERT_TRUE(t.StartSequence(0, c, 8, false).ok());
  Write(t, 0, 0, c);
  t.EndSequence(0);
  absl::StatusOr<int32_t> again_a = t.StartSequence(1, a, 8, true);
  ASSERT_TRUE(again_a.ok());
  EXPECT_EQ(*again_a, 0);
  t.EndSequence(1);
  absl::StatusOr<int32_t> again_b = t.StartSequence(1, b, 8, true);
  ASSERT_TRUE(again_b.ok());
  EXPECT_EQ(*again_b, 7);
}

TEST(KvBlockTablesTest, PressureTakesACachedChainFromItsEnd) {
  KvBlockTables t(4, 4, 1, 16, true);
  const std::vector<int32_t> a = Tokens(16, 1);
  ASSERT_TRUE(t.StartSequence(0, a, 16, true).ok());
  Write(t, 0, 0, a);
  t.EndSequence(0);
  EXPECT_EQ(t.pool().cached(), 4);
  // Two blocks for another sequence: a's last two are evicted, its first
  // two are still a prefix.
  const std::vector<int32_t> c = Tokens(8, 500);
  ASSERT_TRUE(t.StartSequence(0, c, 8, false).ok());
  Write(t, 0, 0, c);
  t.EndSequence(0);
  EXPECT_EQ(t.pool().cached(), 2);
  std::vector<int32_t> again(a.begin(), a.begin() + 12);
  again.push_back(99);
  absl::StatusOr<int32_t> cached = t.StartSequence(0, again, 13, true);
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_EQ(*cached, 8);
}

TEST(KvBlockTablesTest, WaitsWhenExhaustedAndRefusesWhatNeverFits) {
  KvBlockTables t(4, 4, 2, 32, true);
  ASSERT_TRUE(t.StartSequence(0, Tokens(5, 1), 12, true).ok());  // 3 blocks
  absl::StatusOr<int32_t> waits = t.StartSequence(1, Tokens(5, 50), 8, true);
  EXPECT_TRUE(absl::IsUnavailable(waits.status())) << waits.status();
  EXPECT_EQ(t.blocks_held(1), 0);
  absl::StatusOr<int32_t> never = t.StartSequence(1, Tokens(5, 50), 20, true);
  EXPECT_TRUE(absl::IsResourceExhausted(never.status())) << never.status();
  EXPECT_NE(never.status().message().find("the pool has 4"), std::string::npos);
  t.EndSequence(0);
  EXPECT_TRUE(t.StartSequence(1, Tokens(5, 50), 8, true).ok());
}

TEST(KvBlockTablesTest, OptedOutSequencesNeitherReuseNorPublish) {
  KvBlockTables t(8, 4, 2, 32, true);
  const std::vector<int32_t> prompt = Tokens(8, 1);
  ASSERT_TRUE(t.StartSequence(0, prompt, 8, false).ok());
  Write(t, 0, 0, prompt);
  EXPECT_EQ(t.pool().cached(), 0);
  ASSERT_TRUE(t.StartSequence(0, prompt, 8, true).ok());
  Write(t, 0, 0, prompt);
  absl::StatusOr<int32_t> cached = t.StartSequence(1, prompt, 8, false);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(*cached, 0);
}

TEST(KvBlockTablesTest, UnstartedSlotsAllocateAsTheyWriteAndRewriteInPlace) {
  KvBlockTables t(3, 4, 1, 16, true);
  EXPECT_TRUE(Write(t, 0, 0, Tokens(6, 1)).empty());
  const int32_t first = t.table(0)[0];
  EXPECT_EQ(t.pool().cached(), 0);  // never started: nothing published
  EXPECT_TRUE(Write(t, 0, 0, Tokens(3, 9)).empty());
  EXPECT_EQ(t.table(0)[0], first);
  EXPECT_EQ(t.blocks_held(0), 2);
  const absl::Status full =
      t.PrepareWrite(0, 8, Tokens(8, 1), [](int32_t, int32_t, int32_t) {});
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
}

// Windowed groups: a pool of 8 blocks of 4 positions for a window of 8,
// written in passes of at most 16 positions (its WindowPeakBlocks).
constexpr int32_t kWindow = 8, kBs = 4, kMaxWrite = 16;

KvBlockTables WindowedTables(int32_t slots) {
  const KvWindowGroup window{
      kWindow, KvBlockTables::WindowPeakBlocks(kWindow, kBs, kMaxWrite)};
  return KvBlockTables(64, kBs, slots, 128, true, {&window, 1});
}

// Writes tokens[from..] on `slot` in passes of `pass` (at most kMaxWrite),
// as the scheduler would; returns the copies on write per group.
std::vector<std::vector<std::pair<int32_t, int32_t>>> WriteAll(
    KvBlockTables& t, int32_t slot, const std::vector<int32_t>& tokens,
    int32_t from, int32_t pass = kMaxWrite) {
  std::vector<std::vector<std::pair<int32_t, int32_t>>> copies(t.groups());
  for (int32_t p = from; p < static_cast<int32_t>(tokens.size());) {
    const int32_t end =
        std::min<int32_t>(p + pass, static_cast<int32_t>(tokens.size()));
    const absl::Status s = t.PrepareWrite(
        slot, p, {tokens.data() + p, size_t(end - p)},
        [&](int32_t g, int32_t a, int32_t b) { copies[g].emplace_back(a, b); });
    EXPECT_TRUE(s.ok()) << s;
    t.CommitWrite(slot, end);
    p = end;
  }
  return copies;
}

TEST(KvBlockTablesTest, AWindowedGroupHoldsOnlyTheBlocksOfItsWindow) {
  KvBlockTables t = WindowedTables(1);
  ASSERT_EQ(t.groups(), 2);
  EXPECT_EQ(t.window(1), kWindow);
  EXPECT_EQ(t.pool(1).size(), 8);  // ceil((7 + 16) / 4) + 2
  const std::vector<int32_t> tokens = Tokens(100, 1);
  ASSERT_TRUE(t.StartSequence(0, {tokens.data(), 60}, 100, true).ok());
  // The prompt in passes of 16, then one position a pass.
  std::vector<std::pair<int32_t, int32_t>> passes;
  for (int32_t p = 0; p < 60; p += 16)
    passes.emplace_back(p, std::min(p + 16, 60));
  for (int32_t p = 60; p < 100; ++p) passes.emplace_back(p, p + 1);
  for (const auto& [from, e] : passes) {
    ASSERT_TRUE(t.PrepareWrite(0, from,
                               {tokens.data() + from, size_t(e - from)},
                               [](int32_t, int32_t, int32_t) {})
                    .ok());
    t.CommitWrite(0, e);
    SCOPED_TRACE(absl::StrCat("after writing up to ", e));
    // Exactly the entries of positions e - 7 .. e - 1 (what a query at e
    // reads before itself), and every position in group 0.
    const int32_t lo = std::max(0, e - kWindow + 1);
    EXPECT_EQ(t.blocks_held(0, 1), (e - 1) / kBs - lo / kBs + 1);
    EXPECT_GE(t.table(0, 1)[lo / kBs], 0);
    if (lo / kBs > 0) EXPECT_EQ(t.table(0, 1)[lo / kBs - 1], -1);
    EXPECT_LE(t.blocks_held(0, 1), t.pool(1).size());
    EXPECT_EQ(t.blocks_held(0, 0), (e + kBs - 1) / kBs);
  }
  t.EndSequence(0);
  EXPECT_EQ(t.pool(1).free(), t.pool(1).size());
  EXPECT_EQ(t.pool(0).free(), t.pool(0).size());
}

TEST(KvBlockTablesTest, WindowedReuseNeedsTheLastWindowBeforeTheNewTokens) {
  KvBlockTables t = WindowedTables(2);
  const std::vector<int32_t> first = Tokens(40, 1);
  ASSERT_TRUE(t.StartSequence(0, first, 40, true).ok());
  WriteAll(t, 0, first, 0);
  t.EndSequence(0);
  // The window pool (8 blocks) could not keep all 10 entries: the two
  // oldest given back (positions 0..7) were taken again for 32..39.
  // The whole prompt again: group 0 has 10 blocks, the window group the
  // entries of positions 32..38 that the recomputed last token reads.
  absl::StatusOr<int32_t> cached = t.StartSequence(0, first, 40, true);
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_EQ(*cached, 39);
  EXPECT_GE(t.table(0, 1)[8], 0);
  EXPECT_GE(t.table(0, 1)[9], 0);
  EXPECT_EQ(t.table(0, 1)[7], -1);  // outside the window: not taken
  const auto copies = WriteAll(t, 0, first, 39);
  EXPECT_EQ(copies[0].size(), 1u);  // the last block, in both groups
  EXPECT_EQ(copies[1].size(), 1u);
  t.EndSequence(0);
  // Sharing 24 tokens: the window of position 24 (entries 4, 5) is cached.
  std::vector<int32_t> second = first;
  for (int32_t i = 24; i < 40; ++i) second[i] = 500 + i;
  cached = t.StartSequence(1, second, 40, true);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(*cached, 24);
  t.EndSequence(1);
  // Sharing 8 tokens: group 0 has both blocks, but the window of position
  // 8 (entries 0, 1) and of position 4 (entry 0) were evicted: cold.
  std::vector<int32_t> third = first;
  for (int32_t i = 8; i < 40; ++i) third[i] = 700 + i;
  cached = t.StartSequence(1, third, 40, true);
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(*cached, 0);
  EXPECT_EQ(t.blocks_held(1, 0), 0);
  EXPECT_EQ(t.blocks_held(1, 1), 0);
}

// A cold sequence gives back every window block it passes (published, so
// cached), but those must not push out the last window of a prefix cached
// before it when the pool holds both. The pool is what KvCache gives a
// windowed group: every slot's peak (8 here) plus one window (2 blocks),
// 10. The cached prefix is a 40-token prompt (with 0 or 12 generated
// tokens after it); a later prompt sharing those 40 tokens needs the
// window of position 40, entries 8 and 9, in the window group. The cold
// sequence writes 44 positions (11 entries) and holds at most 8 at once:
// 8 + 2 <= 10.
TEST(KvBlockTablesTest, AColdSequenceLeavesTheLastWindowOfACachedPrefix) {
  const int32_t peak = KvBlockTables::WindowPeakBlocks(kWindow, kBs, kMaxWrite);
  const KvWindowGroup window{kWindow, peak + kWindow / kBs};
  for (const int32_t generated : {0, 12}) {
    SCOPED_TRACE(absl::StrCat(generated, " tokens generated after the prefix"));
    KvBlockTables t(64, kBs, 1, 128, true, {&window, 1});
    ASSERT_EQ(t.pool(1).size(), 10);
    // The prefix: its prompt in passes of 16, then one token a pass.
    std::vector<int32_t> first = Tokens(40 + generated, 1);
    ASSERT_TRUE(t.StartSequence(0, {first.data(), 40}, 60, true).ok());
    WriteAll(t, 0, {first.begin(), first.begin() + 40}, 0);
    WriteAll(t, 0, first, 40, /*pass=*/1);
    t.EndSequence(0);
    // The cold sequence, as long as the prefix and then some.
    const std::vector<int32_t> cold = Tokens(44, 1000);
    absl::StatusOr<int32_t> cached = t.StartSequence(0, cold, 48, true);
    ASSERT_TRUE(cached.ok()) << cached.status();
    EXPECT_EQ(*cached, 0);
    for (int32_t p = 0; p < 44; p += kMaxWrite) {
      WriteAll(t, 0, {cold.begin(), cold.begin() + std::min(p + kMaxWrite, 44)},
               p);
      EXPECT_LE(t.blocks_held(0, 1), peak);
    }
    t.EndSequence(0);
    // The prefix's 40 tokens, then new ones: all 40 are reused.
    std::vector<int32_t> again(first.begin(), first.begin() + 40);
    for (int32_t i = 0; i < 4; ++i) again.push_back(2000 + i);
    cached = t.StartSequence(0, again, 48, true);
    ASSERT_TRUE(cached.ok()) << cached.status();
    EXPECT_EQ(*cached, 40);
    EXPECT_GE(t.table(0, 1)[8], 0);
    EXPECT_GE(t.table(0, 1)[9], 0);
  }
}

TEST(KvBlockTablesTest, AWindowedGroupRefusesAWriteBehindItsWindow) {
  KvBlockTables t = WindowedTables(1);
  const std::vector<int32_t> tokens = Tokens(40, 1);
  ASSERT_TRUE(t.StartSequence(0, tokens, 40, false).ok());
  WriteAll(t, 0, tokens, 0);
  const absl::Status behind = t.PrepareWrite(0, 20, {tokens.data() + 20, 4},
                                             [](int32_t, int32_t, int32_t) {});
  EXPECT_TRUE(absl::IsFailedPrecondition(behind)) << behind;
  // Restarting at 0 (an embedding's next text) gives back the stale tail.
  ASSERT_TRUE(
      t.PrepareWrite(0, 0, {tokens.data(), 4}, [](int32_t, int32_t, int32_t) {
       }).ok());
  t.CommitWrite(0, 4);
  EXPECT_EQ(t.blocks_held(0, 1), 1);
}

}  // namespace
}  // namespace edgellm::model
