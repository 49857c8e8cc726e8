// Byte-level BPE (tokenizer.ggml.model "gpt2") on a hand-made vocabulary.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/tokenizer/test_vocabs.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::tokenizer {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

std::unique_ptr<Tokenizer> Make(std::string pre = "gpt-2") {
  Vocab v = testing::SmallBpeVocab();
  v.pre = pre;
  auto tok = Tokenizer::FromVocab(std::move(v));
  EXPECT_TRUE(tok.ok()) << tok.status();
  return *std::move(tok);
}

TEST(BpeTest, MergesByRank) {
  auto tok = Make();
  EXPECT_THAT(tok->Encode("hello world"), ElementsAre(259, 264));
  EXPECT_EQ(tok->Decode({259, 264}), "hello world");
}

TEST(BpeTest, IgnoreMergesKeepsWholeTokenWords) {
  // "hx" is a token but no merge builds it: only Llama 3 (ignore_merges)
  // emits it whole.
  EXPECT_THAT(Make("gpt-2")->Encode("hx"), ElementsAre('h', 'x'));
  EXPECT_THAT(Make("llama-bpe")->Encode("hx"), ElementsAre(267));
}

TEST(BpeTest, DefaultsFollowLlamaCpp) {
  auto gpt2 = Make("gpt-2");
  EXPECT_FALSE(gpt2->add_bos());
  EXPECT_EQ(gpt2->special().bos, 11);         // llama.cpp's BPE default
  EXPECT_TRUE(gpt2->IsEndOfGeneration(265));  // "<|endoftext|>"
  EXPECT_TRUE(Make("llama-bpe")->add_bos());
  Vocab v = testing::SmallBpeVocab();
  v.pre = "not-a-pre-tokenizer";
  EXPECT_FALSE(Tokenizer::FromVocab(v).ok());
}

TEST(BpeTest, SpecialAndUserDefinedTokens) {
  auto tok = Make();
  EXPECT_THAT(tok->Encode("a<|endoftext|>", {.parse_special = true}),
              ElementsAre('a', 265));
  const auto plain = tok->Encode("a<|endoftext|>");
  EXPECT_THAT(plain, Not(Contains(265)));
  EXPECT_EQ(tok->Decode(plain), "a<|endoftext|>");
  // User-defined tokens are matched even without parse_special.
  EXPECT_THAT(tok->Encode("x<user>y"), ElementsAre('x', 266, 'y'));
}

TEST(BpeTest, AddSpecial) {
  Vocab v = testing::SmallBpeVocab();
  v.bos = 265;
  v.add_bos = true;
  auto tok = Tokenizer::FromVocab(std::move(v));
  ASSERT_TRUE(tok.ok());
  EXPECT_THAT((*tok)->Encode("hello", {.add_special = true}),
              ElementsAre(265, 259));
  EXPECT_THAT((*tok)->Encode("hello"), ElementsAre(259));
}

TEST(BpeTest, BytesRoundTripAndInvalidUtf8BecomesReplacement) {
  auto tok = Make();
  const std::string text = "tab\there \xE4\xBD\xA0 \x01\x7F";
  EXPECT_EQ(tok->Decode(tok->Encode(text)), text);
  // Each invalid byte becomes U+FFFD (EF BF BD), as in llama.cpp.
  EXPECT_EQ(tok->Decode(tok->Encode("a\xFF"
                                    "b")),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(tok->TokenText(32), "\xC4\xA0");  // 'Ġ', the character of ' '
  EXPECT_EQ(tok->TokenPiece(32), " ");
}

}  // namespace
}  // namespace edgellm::tokenizer
