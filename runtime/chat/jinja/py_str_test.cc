// Python str and float semantics the renderer relies on, with expected
// values as CPython 3.11 prints them.
#include "runtime/chat/jinja/py_str.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/chat/jinja/lexer.h"

namespace edgellm::chat::jinja::py {
namespace {

using ::testing::ElementsAre;

TEST(PyStrTest, FloatReprMatchesPython) {
  EXPECT_EQ(FloatRepr(0.5), "0.5");
  EXPECT_EQ(FloatRepr(1.0), "1.0");
  EXPECT_EQ(FloatRepr(-0.0), "-0.0");
  EXPECT_EQ(FloatRepr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FloatRepr(1e16), "1e+16");
  EXPECT_EQ(FloatRepr(1e15), "1000000000000000.0");
  EXPECT_EQ(FloatRepr(1e-5), "1e-05");
  EXPECT_EQ(FloatRepr(0.0001), "0.0001");
  EXPECT_EQ(FloatRepr(1.5e-7), "1.5e-07");
  EXPECT_EQ(FloatRepr(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(FloatRepr(1e300 * 1e300), "inf");
}

TEST(PyStrTest, StringReprQuotesAsPython) {
  EXPECT_EQ(StringRepr("abc"), "'abc'");
  EXPECT_EQ(StringRepr("it's"), "\"it's\"");
  EXPECT_EQ(StringRepr("'\""), "'\\'\"'");
  EXPECT_EQ(StringRepr("a\nb\t\x01"), "'a\\nb\\t\\x01'");
  EXPECT_EQ(StringRepr("한국어 😀"), "'한국어 😀'");
  EXPECT_EQ(StringRepr("\xc2\xa0"), "'\\xa0'");  // NBSP is not printable
}

TEST(PyStrTest, SplitAndStripFollowPython) {
  EXPECT_THAT(Split("  a  b ", std::nullopt, -1), ElementsAre("a", "b"));
  EXPECT_THAT(Split("  a  b c ", std::nullopt, 1), ElementsAre("a", "b c "));
  EXPECT_THAT(Split("a,,b", std::string(","), -1), ElementsAre("a", "", "b"));
  EXPECT_THAT(RSplit("a b c", std::nullopt, 1), ElementsAre("a b", "c"));
  EXPECT_THAT(SplitLines("a\r\nb\nc", false), ElementsAre("a", "b", "c"));
  EXPECT_EQ(Strip("\u3000 x \t", std::nullopt, true, true), "x");
  EXPECT_EQ(Strip("xxhixx", std::string("x"), true, false), "hixx");
  EXPECT_EQ(Replace("aaa", "", "-", -1), "-a-a-a-");
  EXPECT_EQ(Find("한국어", "어", 0, 3, false), 2);
  EXPECT_EQ(Upper("Grüße"), "GRÜSSE");
  EXPECT_EQ(Title("hello wORLD"), "Hello World");
}

TEST(PyStrTest, FindsInvalidUtf8) {
  EXPECT_EQ(FindInvalidUtf8("ok 한"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("ab\xc0\x80"), 2u);    // overlong
  EXPECT_EQ(FindInvalidUtf8("\xed\xa0\x80"), 0u);  // surrogate
  EXPECT_EQ(FindInvalidUtf8("x\xe4\xb8"), 1u);     // truncated
}

TEST(LexerTest, NormalizesNewlinesAndDropsOneTrailing) {
  EXPECT_EQ(jinja::NormalizeNewlines("a\r\nb\rc\n", false), "a\nb\nc");
  EXPECT_EQ(jinja::NormalizeNewlines("a\n\n", false), "a\n");
  EXPECT_EQ(jinja::NormalizeNewlines("a\n", true), "a\n");
}

}  // namespace
}  // namespace edgellm::chat::jinja::py
