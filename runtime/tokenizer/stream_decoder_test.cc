#include <string>

#include "gtest/gtest.h"
#include "runtime/tokenizer/test_vocabs.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::tokenizer {
namespace {

constexpr TokenId Byte(int b) { return b + 3; }  // SmallSpmVocab's <0xNN>

std::unique_ptr<Tokenizer> Make() {
  auto tok = Tokenizer::FromVocab(testing::SmallSpmVocab());
  EXPECT_TRUE(tok.ok()) << tok.status();
  return *std::move(tok);
}

TEST(StreamDecoderTest, HoldsBackSplitCharacters) {
  auto tok = Make();
  StreamDecoder dec(*tok);
  EXPECT_EQ(dec.Push(1), "");         // BOS
  EXPECT_EQ(dec.Push(271), "hello");  // leading space dropped at start
  EXPECT_EQ(dec.Push(Byte(0xE4)), "");
  EXPECT_EQ(dec.pending_bytes(), 1u);
  EXPECT_EQ(dec.Push(Byte(0xBD)), "");
  EXPECT_EQ(dec.Push(Byte(0xA0)), "\xE4\xBD\xA0");
  EXPECT_EQ(dec.Push(274), " wor");
  EXPECT_EQ(dec.Flush(), "");
}

TEST(StreamDecoderTest, InvalidBytesBecomeReplacementCharacters) {
  auto tok = Make();
  StreamDecoder dec(*tok, {.strip_leading_space = false});
  EXPECT_EQ(dec.Push(Byte(0xFF)), "\xEF\xBF\xBD");
  EXPECT_EQ(dec.Push(Byte(0xE4)), "");
  // 'h' cannot continue E4: E4 is replaced, 'h' comes out.
  EXPECT_EQ(dec.Push(260), "\xEF\xBF\xBDh");
  EXPECT_EQ(dec.Push(Byte(0xF0)), "");
  EXPECT_EQ(dec.Flush(), "\xEF\xBF\xBD");  // incomplete at the end
  EXPECT_EQ(dec.Push(271), " hello");
}

TEST(StreamDecoderTest, MatchesDecodeOnValidText) {
  auto tok = Make();
  const std::string text = "hello world \xE4\xBD\xA0 \xF0\x9F\xA6\x99 aaa";
  const auto ids = tok->Encode(text, {.add_special = true});
  StreamDecoder dec(*tok);
  std::string streamed;
  for (TokenId id : ids) streamed += dec.Push(id);
  streamed += dec.Flush();
  EXPECT_EQ(streamed, text);
  EXPECT_EQ(tok->Decode(ids), text);
  dec.Reset();
  EXPECT_EQ(dec.Push(271), "hello");
}

}  // namespace
}  // namespace edgellm::tokenizer
