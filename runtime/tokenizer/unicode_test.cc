#include "runtime/tokenizer/unicode.h"

#include "gtest/gtest.h"

namespace edgellm::tokenizer {
namespace {

TEST(Utf8Test, ChecksSequences) {
  size_t len;
  uint32_t cp;
  EXPECT_EQ(CheckUtf8("a", &len, &cp), Utf8Status::kValid);
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(CheckUtf8("\xE4\xBD\xA0", &len, &cp), Utf8Status::kValid);
  EXPECT_EQ(len, 3u);
  EXPECT_EQ(cp, 0x4F60u);
  EXPECT_EQ(CheckUtf8("\xF0\x9F\xA6\x99", &len, &cp), Utf8Status::kValid);
  EXPECT_EQ(cp, 0x1F999u);
  EXPECT_EQ(CheckUtf8("\xE4\xBD", &len, &cp), Utf8Status::kIncomplete);
  EXPECT_EQ(CheckUtf8("\x80", &len, &cp), Utf8Status::kInvalid);
  EXPECT_EQ(CheckUtf8("\xC0\x80", &len, &cp),
            Utf8Status::kInvalid);  // overlong
  EXPECT_EQ(CheckUtf8("\xED\xA0\x80", &len, &cp),
            Utf8Status::kInvalid);  // surrogate
  EXPECT_EQ(CheckUtf8("\xF4\x90\x80\x80", &len, &cp),
            Utf8Status::kInvalid);  // > U+10FFFF
  EXPECT_EQ(CheckUtf8("\xE4\x41", &len, &cp), Utf8Status::kInvalid);
}

TEST(Utf8Test, SanitizeReplacesEachBadByte) {
  EXPECT_EQ(SanitizeUtf8("a\xFF"
                         "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(SanitizeUtf8("\xE4\xBD"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(SanitizeUtf8("ok \xE4\xBD\xA0"), "ok \xE4\xBD\xA0");
  EXPECT_TRUE(IsValidUtf8("ok \xE4\xBD\xA0"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));
}

TEST(Gpt2BytesTest, KnownCharactersAndRoundTrip) {
  EXPECT_EQ(ByteToUnicode(' '), "\xC4\xA0");   // U+0120 'Ġ'
  EXPECT_EQ(ByteToUnicode('\n'), "\xC4\x8A");  // U+010A 'Ċ'
  EXPECT_EQ(ByteToUnicode('A'), "A");
  for (int b = 0; b < 256; ++b) {
    const std::string_view s = ByteToUnicode(static_cast<uint8_t>(b));
    size_t len;
    uint32_t cp;
    ASSERT_EQ(CheckUtf8(s, &len, &cp), Utf8Status::kValid);
    EXPECT_EQ(UnicodeToByte(cp), b);
  }
  EXPECT_EQ(UnicodeToByte(0x4F60), -1);
}

}  // namespace
}  // namespace edgellm::tokenizer
