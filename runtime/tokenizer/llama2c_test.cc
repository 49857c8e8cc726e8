#include "runtime/tokenizer/llama2c.h"

#include <random>

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

// run.c's merge loop, literally: rescan all pairs, merge the best, repeat.
std::vector<TokenId> NaiveMerges(const Tokenizer& tok, std::vector<TokenId> ids,
                                 const std::vector<float>& scores) {
  while (true) {
    float best = -1e10f;
    int best_idx = -1;
    TokenId best_id = kNoToken;
    for (size_t i = 0; i + 1 < ids.size(); ++i) {
      const std::string pair = std::string(tok.TokenText(ids[i])) +
                               std::string(tok.TokenText(ids[i + 1]));
      for (TokenId id = 0; id < tok.vocab_size(); ++id) {
        if (tok.TokenText(id) == pair && scores[id] > best) {
          best = scores[id];
          best_idx = static_cast<int>(i);
          best_id = id;
          break;
        }
      }
    }
    if (best_idx < 0) return ids;
    ids[best_idx] = best_id;
    ids.erase(ids.begin() + best_idx + 1);
  }
}

TEST(Llama2cTest, HeapMergesEqualRunCsRescanLoop) {
  auto tok = Make();
  std::vector<float> scores(tok->vocab_size(), 0.0f);
  for (int id = 259; id < tok->vocab_size(); ++id) scores[id] = -(id - 259.0f);
  const char* const pieces[] = {" ", "a", "b", "\xC3\xA9", "\xC3\xBC", "ab"};
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    std::string text;
    const int n = rng() % 12;
    for (int i = 0; i < n; ++i) text += pieces[rng() % 6];
    // Unmerged ids: BOS, " " prefix, then characters or bytes.
    std::vector<TokenId> start = {1};
    if (!text.empty()) start.push_back(259);
    for (size_t i = 0; i < text.size();) {
      const size_t len = (static_cast<uint8_t>(text[i]) >= 0xC0) ? 2 : 1;
      const std::string ch = text.substr(i, len);
      TokenId id = kNoToken;
      for (TokenId t = 0; t < tok->vocab_size(); ++t) {
        if (tok->TokenText(t) == ch) id = t;
      }
      if (id != kNoToken) {
        start.push_back(id);
      } else {
        for (char c : ch) start.push_back(static_cast<uint8_t>(c) + 3);
      }
      i += len;
    }
    EXPECT_EQ(tok->Encode(text, {.add_special = true}),
              NaiveMerges(*tok, start, scores))
        << text;
  }
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
  // Fewer tokens than the byte fallback names: Encode would emit ids past
  // the vocabulary.
  EXPECT_THAT(Tokenizer::FromLlama2cBuffer(file, 100).status().message(),
              ::testing::HasSubstr("only 100 tokens"));
  EXPECT_TRUE(Tokenizer::FromLlama2cBuffer(file, 259).ok());
  std::string negative = file;
  negative[8] = '\xFF';  // first entry's length byte
  negative[9] = negative[10] = negative[11] = '\xFF';
  auto bad = Tokenizer::FromLlama2cBuffer(negative);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("offset 8"));
}

}  // namespace
}  // namespace edgellm::tokenizer
