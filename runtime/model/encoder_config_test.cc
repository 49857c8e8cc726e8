// ReadEncoderConfig on files whose sizes are hostile: the vocabulary size
// from the token list or token_embd's rows is checked before it is narrowed
// to int32, and the error names the key or tensor.
#include "runtime/model/encoder_config.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/gguf/gguf.h"
#include "runtime/gguf/writer.h"
#include "tests/testing/gguf_with_metadata.h"

namespace edgellm::model {
namespace {

using ::testing::HasSubstr;

// The keys a bert encoder needs (width 64, 4 heads, 2 layers).
gguf::GgufWriter BertKeys() {
  gguf::GgufWriter w;
  w.SetString("general.architecture", "bert");
  w.SetUint32("bert.embedding_length", 64);
  w.SetUint32("bert.block_count", 2);
  w.SetUint32("bert.attention.head_count", 4);
  w.SetUint32("bert.feed_forward_length", 128);
  w.SetUint32("bert.context_length", 512);
  w.SetFloat32("bert.attention.layer_norm_epsilon", 1e-12f);
  return w;
}

// A token_embd of `rows` rows of `width` 1-byte I8 elements (rows of one
// element keep 2^24 of them at 16 MB; the config reads only the shape).
void AddTokenEmbd(gguf::GgufWriter& w, int64_t rows, int64_t width = 1) {
  w.AddTensor("token_embd.weight", gguf::TensorType::kI8, {width, rows},
              std::string(static_cast<size_t>(rows * width), '\0'));
}

// The config of the GGUF image `bytes`.
absl::StatusOr<EncoderConfig> Read(const std::string& bytes) {
  absl::StatusOr<std::unique_ptr<gguf::GgufFile>> file =
      gguf::GgufFile::FromBuffer(bytes.data(), bytes.size());
  if (!file.ok()) return file.status();
  return ReadEncoderConfig(**file);
}

TEST(EncoderConfigTest, VocabularyFromTheTokenListOrTheEmbeddingRows) {
  gguf::GgufWriter listed = BertKeys();
  listed.SetStringArray("tokenizer.ggml.tokens", {"[PAD]", "a", "b"});
  AddTokenEmbd(listed, 3, 64);
  absl::StatusOr<std::string> bytes = listed.WriteToString();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<EncoderConfig> c = Read(*bytes);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->vocab_size, 3);

  gguf::GgufWriter unlisted = BertKeys();
  AddTokenEmbd(unlisted, 10, 64);
  bytes = unlisted.WriteToString();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  c = Read(*bytes);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->vocab_size, 10);
}

// A token list of 2^24 + 4 entries (more than any vocabulary; read as an
// int32 it would be what its low bits say): refused naming the key.
TEST(EncoderConfigTest, RefusesAHugeTokenListNamingTheKey) {
  gguf::GgufWriter w = BertKeys();
  w.SetInt32Array("tokenizer.ggml.tokens",
                  std::vector<int32_t>((int64_t{1} << 22) + 1, 0));
  AddTokenEmbd(w, 3, 64);
  absl::StatusOr<std::string> bytes = w.WriteToString();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ASSERT_TRUE(
      testing::WidenInt32ArrayToBytes(*bytes, "tokenizer.ggml.tokens").ok());
  absl::StatusOr<EncoderConfig> c = Read(*bytes);
  ASSERT_FALSE(c.ok()) << "vocab_size " << c->vocab_size;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(),
              HasSubstr("tokenizer.ggml.tokens has 16777220 entries"));
}

// Without a token list the vocabulary is token_embd's row count: 2^24 + 1
// rows are refused naming the tensor.
TEST(EncoderConfigTest, RefusesHugeEmbeddingRowsNamingTheTensor) {
  gguf::GgufWriter w = BertKeys();
  AddTokenEmbd(w, (int64_t{1} << 24) + 1);
  absl::StatusOr<std::string> bytes = w.WriteToString();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<EncoderConfig> c = Read(*bytes);
  ASSERT_FALSE(c.ok()) << "vocab_size " << c->vocab_size;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(),
              HasSubstr("token_embd.weight has 16777217 rows"));
}

}  // namespace
}  // namespace edgellm::model
