// SentencePiece-BPE (tokenizer.ggml.model "llama") on a hand-made vocabulary.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/tokenizer/test_vocabs.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::tokenizer {
namespace {

using ::testing::ElementsAre;

std::unique_ptr<Tokenizer> Make() {
  auto tok = Tokenizer::FromVocab(testing::SmallSpmVocab());
  EXPECT_TRUE(tok.ok()) << tok.status();
  return *std::move(tok);
}

TEST(SpmTest, DefaultsFollowLlamaCpp) {
  auto tok = Make();
  EXPECT_EQ(tok->kind(), TokenizerKind::kSpm);
  EXPECT_EQ(tok->special().bos, 1);
  EXPECT_EQ(tok->special().eos, 2);
  EXPECT_EQ(tok->special().unk, 0);
  EXPECT_TRUE(tok->add_bos());
  EXPECT_FALSE(tok->add_eos());
  EXPECT_TRUE(tok->add_space_prefix());
  // eos, plus <|im_end|> found by its text (llama.cpp's EOT/EOG lists).
  EXPECT_EQ(tok->special().eot, 277);
  EXPECT_THAT(tok->end_of_generation_ids(), ElementsAre(2, 277));
  EXPECT_TRUE(tok->IsEndOfGeneration(277));
  EXPECT_FALSE(tok->IsEndOfGeneration(1));
}

TEST(SpmTest, MergesHighestScoreFirst) {
  auto tok = Make();
  // "▁hello▁world": ll, he, hell, hello, ▁hello, or, ▁w, ▁wor; "l", "d" stay.
  EXPECT_THAT(tok->Encode("hello world"), ElementsAre(271, 274, 262, 266));
  EXPECT_THAT(tok->Encode("hello world", {.add_special = true}),
              ElementsAre(1, 271, 274, 262, 266));
}

TEST(SpmTest, MergesAcrossWordStartsWhenTheVocabularyHasSuchTokens) {
  // With "o▁" and "o▁w" in the vocabulary, words cannot be merged one by
  // one: the result must be that of merging the whole text.
  Vocab v = testing::SmallSpmVocab();
  for (const char* t : {"o\xE2\x96\x81", "o\xE2\x96\x81w"}) {
    v.tokens.push_back(t);
    v.scores.push_back(v.tokens.size() == 279 ? -0.05f : -0.04f);
    v.types.push_back(TokenType::kNormal);
  }
  auto tok = Tokenizer::FromVocab(std::move(v));
  ASSERT_TRUE(tok.ok());
  EXPECT_THAT((*tok)->Encode("hello world"),
              ElementsAre(259, 269, 279, 273, 262, 266));
}

TEST(SpmTest, EqualScoresMergeLeftmostPair) {
  auto tok = Make();
  EXPECT_THAT(tok->Encode("aaa"), ElementsAre(259, 276, 275));
}

TEST(SpmTest, UnknownCharactersFallBackToBytes) {
  auto tok = Make();
  // "é" = C3 A9 -> <0xC3> <0xA9> (id = byte + 3).
  EXPECT_THAT(tok->Encode("\xC3\xA9"), ElementsAre(259, 0xC3 + 3, 0xA9 + 3));
}

TEST(SpmTest, SpecialTextOnlyWithParseSpecial) {
  auto tok = Make();
  // Not parsed: '<', 's', '>' are bytes.
  EXPECT_THAT(tok->Encode("<s>h"),
              ElementsAre(259, '<' + 3, 's' + 3, '>' + 3, 260));
  // Parsed: the text after a special token gets the dummy prefix again.
  EXPECT_THAT(tok->Encode("<s>h", {.parse_special = true}),
              ElementsAre(1, 259, 260));
  EXPECT_THAT(tok->Encode("h<|im_end|>", {.parse_special = true}),
              ElementsAre(259, 260, 277));
}

TEST(SpmTest, EmptyText) {
  auto tok = Make();
  EXPECT_TRUE(tok->Encode("").empty());
  EXPECT_THAT(tok->Encode("", {.add_special = true}), ElementsAre(1));
}

TEST(SpmTest, DecodeStripsDummyPrefixAndSkipsControl) {
  auto tok = Make();
  EXPECT_EQ(tok->Decode({1, 271, 274, 262, 266}), "hello world");
  EXPECT_EQ(tok->Decode({1, 271, 277}, {.render_special = true}),
            "<s>hello<|im_end|>");
  EXPECT_EQ(tok->Decode({271}, {.strip_leading_space = false}), " hello");
  EXPECT_EQ(tok->TokenPiece(0xC3 + 3), "\xC3");
  EXPECT_EQ(tok->TokenPiece(271), " hello");
  EXPECT_EQ(tok->TokenPiece(1, /*render_special=*/false), "");
  EXPECT_EQ(tok->TokenPiece(99999), "");
  EXPECT_EQ(tok->TokenText(271), "\xE2\x96\x81hello");
}

TEST(SpmTest, RoundTripIsLosslessEvenForInvalidUtf8) {
  auto tok = Make();
  for (std::string s :
       {std::string("hello world"), std::string(" two  spaces "),
        std::string("caf\xC3\xA9 \xF0\x9F\xA6\x99"), std::string("\xFF\xC3"),
        std::string("a\0b", 3), std::string("\xE4\xBD"), std::string("\n\t")}) {
    EXPECT_EQ(tok->Decode(tok->Encode(s)), s);
    EXPECT_EQ(tok->Decode(tok->Encode(s, {.add_special = true})), s);
  }
}

TEST(SpmTest, RejectsBadVocabularies) {
  Vocab v = testing::SmallSpmVocab();
  v.scores.resize(3);
  EXPECT_FALSE(Tokenizer::FromVocab(v).ok());
  Vocab empty;
  EXPECT_FALSE(Tokenizer::FromVocab(empty).ok());
  Vocab no_bos = testing::SmallSpmVocab();
  no_bos.tokens.resize(1);
  no_bos.scores.resize(1);
  no_bos.types.resize(1);
  no_bos.add_bos = true;  // default BOS id 1 is out of range -> disabled
  EXPECT_FALSE(Tokenizer::FromVocab(no_bos).ok());
}

}  // namespace
}  // namespace edgellm::tokenizer
