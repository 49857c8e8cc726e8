#include "runtime/tokenizer/llama2c.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/tokenizer/test_vocabs.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::tokenizer {
namespace {

using ::testing::ElementsAre;

std::unique_ptr<Tokenizer> Make() {
  auto tok = Tokenizer::FromLlama2cBuffer(testing::SmallLlama2cFile());
  EXPECT_TRUE(tok.ok()) << tok.status();
  return *std::move(tok);
}

TEST(Llama2cTest, ParsesFile) {
  const std::string file = testing::SmallLlama2cFile();
  EXPECT_TRUE(LooksLikeLlama2cTokenizer(file));
  auto tok = Make();
  EXPECT_EQ(tok->kind(), TokenizerKind::kLlama2c);
  EXPECT_EQ(tok->vocab_size(), 266);
  EXPECT_EQ(tok->TokenText(1), "\n<s>\n");
  EXPECT_EQ(tok->token_type(3), TokenType::kByte);
  EXPECT_EQ(tok->token_type(1), TokenType::kControl);
  EXPECT_TRUE(tok->IsEndOfGeneration(1));  // run.c stops on BOS
  auto limited = Tokenizer::FromLlama2cBuffer(file, 260);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ((*limited)->vocab_size(), 260);
}

TEST(Llama2cTest, EncodeFollowsRunC) {
  auto tok = Make();
  // BOS, dummy " ", then " a" (-3) beats "ab" (-4), then " ab".
  EXPECT_THAT(tok->Encode("ab", {.add_special = true}), ElementsAre(1, 265));
  EXPECT_THAT(tok->Encode("\xC3\xA9", {.add_special = true}),
              ElementsAre(1, 259, 264));
  // "ü" is not in the vocabulary: byte fallback, id = byte + 3.
  EXPECT_THAT(tok->Encode("\xC3\xBC", {.add_special = true}),
              ElementsAre(1, 259, 0xC3 + 3, 0xBC + 3));
  EXPECT_THAT(tok->Encode("", {.add_special = true}), ElementsAre(1));
  EXPECT_TRUE(tok->Encode("").empty());
}

TEST(Llama2cTest, DecodeDropsSpaceAfterBosAndAssemblesBytes) {
  auto tok = Make();
  EXPECT_EQ(tok->Decode({1, 265}), "ab");
  EXPECT_EQ(tok->Decode({1, 259, 0xC3 + 3, 0xBC + 3}), "\xC3\xBC");
  for (std::string s : {"ab ab", " a", "\xC3\xBC\xC3\xA9", "\xFF"}) {
    EXPECT_EQ(tok->Decode(tok->Encode(s, {.add_special = true})), s);
  }
}

TEST(Llama2cTest, RejectsCorruptFiles) {
  std::string file = testing::SmallLlama2cFile();
  EXPECT_FALSE(Tokenizer::FromLlama2cBuffer(file.substr(0, 2)).ok());
  EXPECT_FALSE(Tokenizer::FromLlama2cBuffer(file.substr(0, 30)).ok());
  EXPECT_FALSE(Tokenizer::FromLlama2cBuffer(file, 100000).ok());
  std::string negative = file;
  negative[8] = '\xFF';  // first entry's length byte
  negative[9] = negative[10] = negative[11] = '\xFF';
  auto bad = Tokenizer::FromLlama2cBuffer(negative);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("offset 8"));
}

}  // namespace
}  // namespace edgellm::tokenizer
