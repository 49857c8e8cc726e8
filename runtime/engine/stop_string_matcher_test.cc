#include "runtime/engine/stop_string_matcher.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace edgellm::engine {
namespace {

// Feeds `deltas` one by one and concatenates everything released (plus a
// final Flush() if no stop occurred). Returns the text and the stop index.
std::pair<std::string, int> FeedAll(StopStringMatcher& m,
                                    const std::vector<std::string>& deltas) {
  std::string out;
  for (const std::string& d : deltas) {
    const StopStringMatcher::Result r = m.Feed(d);
    out.append(r.text);
    if (r.stopped) return {out, r.stop_index};
  }
  const StopStringMatcher::Result r = m.Flush();
  out.append(r.text);
  return {out, r.stopped ? r.stop_index : -1};
}

TEST(StopStringMatcherTest, NoStopsPassesEverythingThrough) {
  StopStringMatcher m({});
  const auto r = m.Feed("hello");
  EXPECT_EQ(r.text, "hello");
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(m.held_size(), 0u);
}

TEST(StopStringMatcherTest, StopInsideOneDelta) {
  StopStringMatcher m({"</s>"});
  const auto r = m.Feed("abc</s>def");
  EXPECT_EQ(r.text, "abc");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.stop_index, 0);
  EXPECT_TRUE(m.stopped());
  const auto after = m.Feed("more");
  EXPECT_TRUE(after.stopped);
  EXPECT_EQ(after.text, "");
}

TEST(StopStringMatcherTest, StopAcrossDeltasIsHeldThenDropped) {
  StopStringMatcher m({"</s>"});
  auto r = m.Feed("Hi<");
  EXPECT_EQ(r.text, "Hi");  // "<" might start "</s>"
  EXPECT_EQ(m.held_size(), 1u);
  r = m.Feed("/");
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(m.held_size(), 2u);
  r = m.Feed("s>tail");
  EXPECT_EQ(r.text, "");
  EXPECT_TRUE(r.stopped);
}

TEST(StopStringMatcherTest, FalseAlarmReleasesHeldText) {
  StopStringMatcher m({"</s>"});
  EXPECT_EQ(m.Feed("a</").text, "a");
  const auto r = m.Feed("b>");
  EXPECT_EQ(r.text, "</b>");
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(m.held_size(), 0u);
}

TEST(StopStringMatcherTest, OneByteDeltas) {
  StopStringMatcher m({"STOP"});
  std::vector<std::string> deltas;
  for (char c : std::string("go STOSTOP now")) deltas.push_back({c});
  EXPECT_EQ(FeedAll(m, deltas), std::make_pair(std::string("go STO"), 0));
}

TEST(StopStringMatcherTest, EarliestOfSeveralStopsWins) {
  StopStringMatcher m({"World", "lo W", "x"});
  EXPECT_EQ(FeedAll(m, {"Hel", "lo Wor", "ld x"}),
            std::make_pair(std::string("Hel"), 1));
  // Same start: the one listed first.
  StopStringMatcher tie({"ab", "abc"});
  EXPECT_EQ(FeedAll(tie, {"xabc"}), std::make_pair(std::string("x"), 0));
}

TEST(StopStringMatcherTest, HoldsLongestPossiblePrefix) {
  // "xyz" could start "xyzw" and its tail "yz" could start "yz?": hold all 3.
  StopStringMatcher m({"xyzw", "yz?"});
  auto r = m.Feed("00xyz");
  EXPECT_EQ(r.text, "00");
  EXPECT_EQ(m.held_size(), 3u);
  r = m.Feed("?");
  EXPECT_EQ(r.text, "x");
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.stop_index, 1);
}

TEST(StopStringMatcherTest, FlushReleasesHeldTextAtEnd) {
  StopStringMatcher m({"\n\nUser:"});
  EXPECT_EQ(m.Feed("done.\n\nUs").text, "done.");
  const auto r = m.Flush();
  EXPECT_EQ(r.text, "\n\nUs");
  EXPECT_FALSE(r.stopped);
}

TEST(StopStringMatcherTest, Utf8StopAcrossSplitCharacter) {
  // "終" is E7 B5 82; deltas split it mid-character.
  StopStringMatcher m({"\xE7\xB5\x82"});
  EXPECT_EQ(FeedAll(m, {"ok\xE7", "\xB5", "\x82!"}),
            std::make_pair(std::string("ok"), 0));
}

TEST(StopStringMatcherTest, EmptyStopStringsIgnoredAndResetWorks) {
  StopStringMatcher m({"", "end"});
  EXPECT_EQ(FeedAll(m, {"the en", "d"}),
            std::make_pair(std::string("the "), 1));
  m.Reset();
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(FeedAll(m, {"fine"}), std::make_pair(std::string("fine"), -1));
}

}  // namespace
}  // namespace edgellm::engine
