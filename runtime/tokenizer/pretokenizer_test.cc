#include "runtime/tokenizer/pretokenizer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgellm::tokenizer {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Split(std::string_view pre, std::string_view text) {
  auto spec = PreTokenizerSpecFor(pre);
  EXPECT_TRUE(spec.ok()) << spec.status();
  auto p = PreTokenizer::Create(spec->regexes);
  EXPECT_TRUE(p.ok()) << p.status();
  std::vector<std::string_view> pieces;
  (*p)->Split(text, &pieces);
  return {pieces.begin(), pieces.end()};
}

TEST(PreTokenizerTest, EverySupportedNameCompiles) {
  for (const std::string& name : SupportedPreTokenizers()) {
    auto spec = PreTokenizerSpecFor(name);
    ASSERT_TRUE(spec.ok()) << name;
    auto p = PreTokenizer::Create(spec->regexes);
    EXPECT_TRUE(p.ok()) << name << ": " << p.status();
  }
  EXPECT_FALSE(PreTokenizerSpecFor("no-such-pre").ok());
  EXPECT_TRUE(PreTokenizerSpecFor("").ok());  // "" means "default"
}

TEST(PreTokenizerTest, Gpt2) {
  EXPECT_THAT(Split("gpt-2", "Hello world's  x 123!!"),
              ElementsAre("Hello", " world", "'s", " ", " x", " 123", "!!"));
  // Trailing whitespace stays one piece; a lone tab before a letter is a
  // piece of its own.
  EXPECT_THAT(Split("gpt-2", "a\tb  "), ElementsAre("a", "\t", "b", "  "));
}

TEST(PreTokenizerTest, Llama3GroupsDigitsByThree) {
  EXPECT_THAT(Split("llama-bpe", "12345 ab\n\n cd"),
              ElementsAre("123", "45", " ab", "\n\n", " cd"));
}

TEST(PreTokenizerTest, Qwen2SplitsDigits) {
  EXPECT_THAT(Split("qwen2", "x123"), ElementsAre("x", "1", "2", "3"));
}

TEST(PreTokenizerTest, SequentialRegexesKeepUnmatchedText) {
  // falcon: punctuation runs first, then GPT-2 words, then digit triples.
  EXPECT_THAT(Split("falcon", "a,b 12345"),
              ElementsAre("a", ",", "b", " ", "123", "45"));
}

TEST(PreTokenizerTest, WhitespaceClassIsUnicodeWhiteSpace) {
  EXPECT_EQ(PreTokenizer::RewriteWhitespaceClasses(R"(a\sb)"),
            R"(a[\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A})"
            R"(\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]b)");
  EXPECT_EQ(PreTokenizer::RewriteWhitespaceClasses(R"([^\s\p{L}])"),
            R"([^\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A})"
            R"(\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\p{L}])");
  EXPECT_EQ(PreTokenizer::RewriteWhitespaceClasses(R"(\\s[]\s])"),
            R"(\\s[]\x{9}-\x{D}\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A})"
            R"(\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}])");
  // U+0085 (NEL) is whitespace for the GPT-2 regex.
  EXPECT_THAT(Split("gpt-2", "a\xC2\x85\xC2\x85"),
              ElementsAre("a", "\xC2\x85\xC2\x85"));
}

TEST(PreTokenizerTest, PiecesCoverInput) {
  const std::string text =
      "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～\n\n\t  x";
  for (const std::string& name : SupportedPreTokenizers()) {
    std::string joined;
    for (const std::string& piece : Split(name, text)) {
      EXPECT_FALSE(piece.empty()) << name;
      joined += piece;
    }
    EXPECT_EQ(joined, text) << name;
  }
}

}  // namespace
}  // namespace edgellm::tokenizer
