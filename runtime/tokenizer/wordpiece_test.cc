#include "runtime/tokenizer/wordpiece.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/tokenizer/test_vocabs.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::tokenizer {
namespace {

using ::testing::ElementsAre;

TEST(WordPieceTest, PreprocessLowercasesStripsAccentsAndSplits) {
  EXPECT_THAT(WordPiecePreprocess("Hello, WORLD! Caf\xC3\xA9 C\xE1\xBB\xAD"
                                  "a"),
              ElementsAre("hello", ",", "world", "!", "cafe", "cua"));
  // CJK ideographs are words of their own; controls (ZWJ) are dropped.
  EXPECT_THAT(WordPiecePreprocess("\xE4\xBD\xA0\xE5\xA5\xBD"
                                  "a\xE2\x80\x8D"
                                  "b"),
              ElementsAre("\xE4\xBD\xA0", "\xE5\xA5\xBD", "ab"));
  EXPECT_THAT(WordPiecePreprocess(" \t\n "), ElementsAre());
  // Non-ASCII symbols stay inside words; ASCII ones split.
  EXPECT_THAT(WordPiecePreprocess("a$b\xC2\xB1"
                                  "c"),
              ElementsAre("a", "$",
                          "b\xC2\xB1"
                          "c"));
}

TEST(WordPieceTest, GreedyLongestMatchAndUnk) {
  auto tok = Tokenizer::FromVocab(testing::SmallWordPieceVocab());
  ASSERT_TRUE(tok.ok()) << tok.status();
  EXPECT_EQ((*tok)->special().bos, 101);
  EXPECT_EQ((*tok)->special().sep, 102);
  EXPECT_EQ((*tok)->special().unk, 100);
  EXPECT_THAT(
      (*tok)->Encode(
          "Hello, WORLD! Caf\xC3\xA9 unaffable \xE4\xBD\xA0\xE5\xA5\xBD xyz"),
      ElementsAre(104, 106, 105, 107, 108, 109, 110, 111, 112, 113, 100));
  EXPECT_THAT((*tok)->Encode("hello", {.add_special = true}),
              ElementsAre(101, 104, 102));
  EXPECT_THAT((*tok)->Encode("[CLS]hello", {.parse_special = true}),
              ElementsAre(101, 104));
  EXPECT_EQ((*tok)->Decode({101, 104, 109, 110, 111, 102}), "hello unaffable");
  // Invalid UTF-8 never crashes: U+FFFD is dropped like llama.cpp does.
  EXPECT_THAT((*tok)->Encode("hello\xFF"), ElementsAre(104));
}

}  // namespace
}  // namespace edgellm::tokenizer
