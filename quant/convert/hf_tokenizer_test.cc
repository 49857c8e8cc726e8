#include "quant/convert/hf_tokenizer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgellm::quant {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

HfConfig Config(const std::string& arch, int64_t vocab) {
  HfConfig c;
  c.gguf_architecture = arch;
  c.vocab_size = vocab;
  return c;
}

constexpr char kLlama3Json[] = R"({
  "added_tokens": [
    {"id": 5, "content": "<|begin_of_text|>", "special": true},
    {"id": 6, "content": "<|eot_id|>", "special": true},
    {"id": 7, "content": "hello\u2581world", "special": false}],
  "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex":
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
    {"type": "ByteLevel", "add_prefix_space": false}]},
  "post_processor": {"type": "Sequence", "processors": [
    {"type": "ByteLevel"},
    {"type": "TemplateProcessing",
     "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                {"Sequence": {"id": "A", "type_id": 0}}]}]},
  "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\u0120a": 3},
            "merges": ["a b", ["\u0120", "a"]]}
})";

TEST(HfTokenizerTest, ByteLevelBpe) {
  auto v = ParseTokenizerJson(kLlama3Json, Config("llama", 10));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->model, "gpt2");
  EXPECT_EQ(v->pre, "llama-bpe");
  ASSERT_EQ(v->tokens.size(), 10u);
  EXPECT_EQ(v->tokens[3],
            "\xC4\xA0"
            "a");
  EXPECT_EQ(v->tokens[4], "[PAD4]");
  EXPECT_EQ(v->tokens[7], "hello world");  // user-defined: U+2581 -> ' '
  EXPECT_THAT(v->types, ElementsAre(1, 1, 1, 1, 5, 3, 3, 4, 5, 5));
  EXPECT_THAT(v->merges, ElementsAre("a b", "\xC4\xA0 a"));

  const std::string config = R"({"bos_token": "<|begin_of_text|>",
      "eos_token": {"content": "<|eot_id|>"},
      "chat_template": "{{ messages }}"})";
  ASSERT_TRUE(ApplyTokenizerConfig(config, kLlama3Json, &*v).ok());
  EXPECT_EQ(v->bos_id, 5);
  EXPECT_EQ(v->eos_id, 6);
  EXPECT_EQ(v->add_bos, true);  // from the post-processor template
  EXPECT_EQ(v->add_eos, false);
  EXPECT_EQ(v->chat_template, "{{ messages }}");
}

TEST(HfTokenizerTest, PreTokenizerNames) {
  std::string qwen = kLlama3Json;
  qwen.replace(qwen.find("\\\\p{N}{1,3}"), 11, "\\\\p{N}");
  auto v = ParseTokenizerJson(qwen, Config("qwen2", 10));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->pre, "qwen2");
  const std::string plain =
      R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})";
  auto d = ParseTokenizerJson(plain, Config("llama", 1));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->pre, "default");
  EXPECT_EQ(d->warnings.size(), 1u);
}

TEST(HfTokenizerTest, Unsupported) {
  EXPECT_THAT(ParseTokenizerJson(R"({"model": {"type": "WordPiece"}})",
                                 Config("llama", 1))
                  .status()
                  .message(),
              HasSubstr("'WordPiece' is not supported"));
  EXPECT_THAT(
      ParseTokenizerJson(R"({"model": {"type": "BPE", "byte_fallback": true,
                            "vocab": {}, "merges": []}})",
                         Config("llama", 1))
          .status()
          .message(),
      HasSubstr("byte_fallback"));
  EXPECT_THAT(ParseTokenizerJson(R"({"model": {"type": "BPE", "vocab": {"a": 4},
                            "merges": []}})",
                                 Config("llama", 2))
                  .status()
                  .message(),
              HasSubstr("vocab_size is 2"));
}

TEST(HfTokenizerTest, WronglyTypedFieldsAreIgnoredNotFatal) {
  auto v = ParseTokenizerJson(kLlama3Json, Config("llama", 10));
  ASSERT_TRUE(v.ok());
  const std::string tokenizer = R"({"post_processor": {"type": 5,
      "processors": [7, {"type": []}]}, "added_tokens": [1, {"id": "x"}]})";
  const std::string config = R"({"bos_token": 3, "eos_token": {"content": 4},
      "add_bos_token": "yes", "chat_template": [{"name": 3}, 5]})";
  EXPECT_TRUE(ApplyTokenizerConfig(config, tokenizer, &*v).ok());
  EXPECT_FALSE(v->bos_id.has_value());
  EXPECT_FALSE(v->add_bos.has_value());
  EXPECT_EQ(v->chat_template, "");
  EXPECT_FALSE(ApplyTokenizerConfig("[1, 2]", "", &*v).ok());
  EXPECT_FALSE(ParseTokenizerJson(R"({"model": {"type": "BPE", "vocab": [],
      "merges": {}}})",
                                  Config("llama", 1))
                   .ok());
}

// Protobuf wire encoding helpers for a hand-made SentencePiece model.
std::string Varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  s.push_back(static_cast<char>(v));
  return s;
}
std::string Piece(const std::string& text, float score, int type) {
  std::string p = "\x0a" + Varint(text.size()) + text;
  p += "\x15" + std::string(reinterpret_cast<const char*>(&score), 4);
  if (type != 0) p += "\x18" + Varint(type);
  return "\x0a" + Varint(p.size()) + p;
}

TEST(HfTokenizerTest, SentencePieceProto) {
  std::string proto = Piece("<unk>", 0, 2) + Piece("<s>", 0, 3) +
                      Piece("</s>", 0, 3) + Piece("<0x41>", 0, 6) +
                      Piece("\xE2\x96\x81the", -1.25f, 0);
  // A trainer_spec (field 2) the parser must skip.
  proto += "\x12\x02\x08\x01";
  auto v = ParseSentencePieceModel(proto, 7);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->model, "llama");
  EXPECT_THAT(v->tokens, ElementsAre("<unk>", "<s>", "</s>", "<0x41>",
                                     "\xE2\x96\x81the", "[PAD5]", "[PAD6]"));
  EXPECT_THAT(v->types, ElementsAre(2, 3, 3, 6, 1, 5, 5));
  EXPECT_EQ(v->scores[4], -1.25f);
  EXPECT_EQ(v->unk_id, 0);
  ASSERT_TRUE(ApplyTokenizerConfig(
                  R"({"bos_token": "<s>", "eos_token": "</s>",
                      "add_bos_token": true, "add_eos_token": false})",
                  "", &*v)
                  .ok());
  EXPECT_EQ(v->bos_id, 1);
  EXPECT_EQ(v->eos_id, 2);
  EXPECT_EQ(v->add_bos, true);

  EXPECT_THAT(ParseSentencePieceModel(proto.substr(0, 5), 7).status().message(),
              HasSubstr("runs past the end"));
  EXPECT_THAT(ParseSentencePieceModel(proto, 3).status().message(),
              HasSubstr("more than config.json's vocab_size"));
}

}  // namespace
}  // namespace edgellm::quant
