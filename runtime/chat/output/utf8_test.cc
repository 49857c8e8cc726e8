#include "runtime/chat/output/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace edgellm::chat::output::internal {
namespace {

TEST(Utf8Test, CompletePrefixHoldsOnlyAnIncompleteTail) {
  const std::string s = "a서🤔";  // 1 + 3 + 4 bytes
  EXPECT_EQ(CompleteUtf8Prefix(""), 0u);
  EXPECT_EQ(CompleteUtf8Prefix(s), s.size());
  for (size_t cut = 2; cut < 4; ++cut) {
    EXPECT_EQ(CompleteUtf8Prefix(s.substr(0, cut)), 1u) << cut;
  }
  EXPECT_EQ(CompleteUtf8Prefix(s.substr(0, 4)), 4u);
  for (size_t cut = 5; cut < 8; ++cut) {
    EXPECT_EQ(CompleteUtf8Prefix(s.substr(0, cut)), 4u) << cut;
  }
}

TEST(Utf8Test, InvalidBytesAreNotHeld) {
  EXPECT_EQ(CompleteUtf8Prefix("a\xff"), 2u);  // never a lead byte
  EXPECT_EQ(CompleteUtf8Prefix("a\x80"), 2u);  // stray continuation
  EXPECT_EQ(CompleteUtf8Prefix("\xe3\x81"
                               "a"),
            3u);  // broken, then ASCII
  EXPECT_EQ(CompleteUtf8Prefix("\x80\x80\x80\x80"), 4u);
}

TEST(Utf8Test, Validity) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("서울 ☀️ 🤔 ü"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xe3\x81"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));   // U+10FFFF
}

}  // namespace
}  // namespace edgellm::chat::output::internal
