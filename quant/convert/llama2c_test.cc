#include "quant/convert/llama2c.h"

#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "quant/convert/mapped_file.h"
#include "tests/testing/allocation_counter.h"
#include "tests/testing/shared_dir.h"

namespace edgellm::quant {
namespace {

using ::testing::HasSubstr;

void PutI32(std::string* s, int32_t v) {
  s->append(reinterpret_cast<const char*>(&v), sizeof(v));
}
void PutF32(std::string* s, float v) {
  s->append(reinterpret_cast<const char*>(&v), sizeof(v));
}

struct Dims {
  int32_t dim = 8, hidden = 12, layers = 2, heads = 2, kv_heads = 1, vocab = 6,
          seq = 4;
};

// Writes `n` f32 values tagged so each tensor's values are recognisable:
// value = tag * 1000 + index.
void PutTagged(std::string* s, int tag, int64_t n) {
  for (int64_t i = 0; i < n; ++i) PutF32(s, tag * 1000.0f + i);
}

// A v0 checkpoint whose tensors hold tagged values, so the test can check
// that every GGUF tensor reads the right slice.
std::string LegacyCheckpoint(const Dims& d, bool shared) {
  std::string s;
  for (int32_t v : {d.dim, d.hidden, d.layers, d.heads, d.kv_heads,
                    shared ? d.vocab : -d.vocab, d.seq}) {
    PutI32(&s, v);
  }
  const int kv_dim = d.dim / d.heads * d.kv_heads;
  PutTagged(&s, 1, int64_t{d.vocab} * d.dim);               // embedding
  PutTagged(&s, 2, int64_t{d.layers} * d.dim);              // rms_att
  PutTagged(&s, 3, int64_t{d.layers} * d.dim * d.dim);      // wq
  PutTagged(&s, 4, int64_t{d.layers} * kv_dim * d.dim);     // wk
  PutTagged(&s, 5, int64_t{d.layers} * kv_dim * d.dim);     // wv
  PutTagged(&s, 6, int64_t{d.layers} * d.dim * d.dim);      // wo
  PutTagged(&s, 7, int64_t{d.layers} * d.dim);              // rms_ffn
  PutTagged(&s, 8, int64_t{d.layers} * d.hidden * d.dim);   // w1
  PutTagged(&s, 9, int64_t{d.layers} * d.dim * d.hidden);   // w2
  PutTagged(&s, 10, int64_t{d.layers} * d.hidden * d.dim);  // w3
  PutTagged(&s, 11, d.dim);                                 // rms_final
  PutTagged(&s, 12, int64_t{d.seq} * (d.dim / d.heads));    // freq_cis x2
  if (!shared) PutTagged(&s, 13, int64_t{d.vocab} * d.dim);
  return s;
}

const Llama2cTensor* Find(const Llama2cCheckpoint& c, const std::string& n) {
  for (const Llama2cTensor& t : c.tensors) {
    if (t.name == n) return &t;
  }
  return nullptr;
}

std::vector<float> Read(const std::string& file, const Llama2cCheckpoint& c,
                        const std::string& name) {
  const Llama2cTensor* t = Find(c, name);
  EXPECT_NE(t, nullptr) << name;
  if (t == nullptr) return {};
  std::vector<float> out(t->num_elements());
  EXPECT_TRUE(ReadLlama2cTensor(reinterpret_cast<const uint8_t*>(file.data()),
                                file.size(), c.config, *t, out.data())
                  .ok());
  return out;
}

TEST(Llama2cTest, LegacySharedClassifier) {
  const Dims d;
  const std::string file = LegacyCheckpoint(d, /*shared=*/true);
  auto c = ParseLlama2cCheckpoint(reinterpret_cast<const uint8_t*>(file.data()),
                                  file.size());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->config.version, 0);
  EXPECT_TRUE(c->config.shared_classifier);
  EXPECT_EQ(c->config.kv_dim(), 4);
  // 2 globals + 9 per layer, no output.weight.
  EXPECT_EQ(c->tensors.size(), 2u + 9u * d.layers);
  EXPECT_EQ(Find(*c, "output.weight"), nullptr);
  EXPECT_EQ(Find(*c, "blk.1.attn_k.weight")->dims,
            (std::vector<int64_t>{8, 4}));
  EXPECT_EQ(Find(*c, "blk.0.ffn_down.weight")->dims,
            (std::vector<int64_t>{12, 8}));
  // Layer 1 of wk starts after layer 0's kv_dim * dim values.
  EXPECT_EQ(Read(file, *c, "blk.1.attn_k.weight")[0], 4000.0f + 32);
  EXPECT_EQ(Read(file, *c, "blk.0.ffn_gate.weight")[5], 8005.0f);
  EXPECT_EQ(Read(file, *c, "blk.1.ffn_down.weight")[0], 9000.0f + 96);
  EXPECT_EQ(Read(file, *c, "blk.1.ffn_up.weight")[1], 10000.0f + 97);
  EXPECT_EQ(Read(file, *c, "output_norm.weight")[7], 11007.0f);
}

TEST(Llama2cTest, LegacySeparateClassifier) {
  const std::string file = LegacyCheckpoint(Dims{}, /*shared=*/false);
  auto c = ParseLlama2cCheckpoint(reinterpret_cast<const uint8_t*>(file.data()),
                                  file.size());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->config.shared_classifier);
  EXPECT_EQ(Read(file, *c, "output.weight")[3], 13003.0f);
}

TEST(Llama2cTest, Version1And2) {
  const Dims d;
  const int kv_dim = d.dim / d.heads * d.kv_heads;
  for (int version : {1, 2}) {
    std::string s;
    PutI32(&s, 0x616b3432);
    PutI32(&s, version);
    for (int32_t v :
         {d.dim, d.hidden, d.layers, d.heads, d.kv_heads, d.vocab, d.seq}) {
      PutI32(&s, v);
    }
    s.push_back(1);  // shared classifier
    const int32_t group = 4;
    if (version == 2) PutI32(&s, group);
    s.resize(256, '\0');
    PutTagged(&s, 2, int64_t{d.layers} * d.dim);  // rms_att
    PutTagged(&s, 7, int64_t{d.layers} * d.dim);  // rms_ffn
    PutTagged(&s, 11, d.dim);                     // rms_final
    const std::vector<int64_t> counts = {int64_t{d.vocab} * d.dim,
                                         int64_t{d.layers} * d.dim * d.dim,
                                         int64_t{d.layers} * kv_dim * d.dim,
                                         int64_t{d.layers} * kv_dim * d.dim,
                                         int64_t{d.layers} * d.dim * d.dim,
                                         int64_t{d.layers} * d.hidden * d.dim,
                                         int64_t{d.layers} * d.dim * d.hidden,
                                         int64_t{d.layers} * d.hidden * d.dim};
    const std::vector<int> tags = {1, 3, 4, 5, 6, 8, 9, 10};
    if (version == 1) {
      for (size_t i = 0; i < counts.size(); ++i) {
        PutTagged(&s, tags[i], counts[i]);
      }
    } else {
      // int8 values i % 100 - 50, then scales tag + group index / 1000.
      for (int64_t n : counts) {
        for (int64_t i = 0; i < n; ++i) s.push_back(int8_t(i % 100 - 50));
      }
      for (size_t i = 0; i < counts.size(); ++i) {
        for (int64_t g = 0; g < counts[i] / group; ++g) {
          PutF32(&s, tags[i] + g / 1000.0f);
        }
      }
    }
    auto c = ParseLlama2cCheckpoint(reinterpret_cast<const uint8_t*>(s.data()),
                                    s.size());
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->config.version, version);
    EXPECT_EQ(Read(s, *c, "blk.1.attn_norm.weight")[0], 2000.0f + 8);
    EXPECT_EQ(Read(s, *c, "blk.0.ffn_norm.weight")[1], 7001.0f);
    EXPECT_EQ(Read(s, *c, "output_norm.weight")[2], 11002.0f);
    const std::vector<float> wk1 = Read(s, *c, "blk.1.attn_k.weight");
    if (version == 1) {
      EXPECT_EQ(wk1[1], 4000.0f + 33);
    } else {
      // Element 1 of layer 1 is flat element 33 of wk: int8 33 - 50, in
      // group 33 / 4 = 8.
      EXPECT_FLOAT_EQ(wk1[1], (33 - 50) * (4 + 8 / 1000.0f));
    }
  }
}

TEST(Llama2cTest, RejectsBadHeaderAndSize) {
  std::string file = LegacyCheckpoint(Dims{}, true);
  auto truncated = ParseLlama2cCheckpoint(
      reinterpret_cast<const uint8_t*>(file.data()), file.size() - 4);
  EXPECT_THAT(truncated.status().message(), HasSubstr("size mismatch"));
  std::string bad = file;
  const int32_t zero_heads = 0;
  std::memcpy(bad.data() + 12, &zero_heads, 4);
  auto status = ParseLlama2cCheckpoint(
      reinterpret_cast<const uint8_t*>(bad.data()), bad.size());
  EXPECT_THAT(status.status().message(), HasSubstr("n_heads = 0"));
  const std::string text = "this is not a checkpoint at all, just some text";
  EXPECT_FALSE(ParseLlama2cCheckpoint(
                   reinterpret_cast<const uint8_t*>(text.data()), text.size())
                   .ok());
}

TEST(Llama2cTest, Tokenizer) {
  std::string s;
  PutI32(&s, 7);
  auto put = [&](float score, const std::string& piece) {
    PutF32(&s, score);
    PutI32(&s, static_cast<int32_t>(piece.size()));
    s += piece;
  };
  put(0, "<unk>");
  put(0, "\n<s>\n");
  put(0, "\n</s>\n");
  put(0, "<0x0A>");
  put(-1.5f, " the");
  put(-2, "a b");
  auto vocab = ParseLlama2cTokenizer(reinterpret_cast<const uint8_t*>(s.data()),
                                     s.size(), 6);
  ASSERT_TRUE(vocab.ok()) << vocab.status();
  EXPECT_EQ(vocab->tokens,
            (std::vector<std::string>{"<unk>", "<s>", "</s>", "<0x0A>",
                                      "\xE2\x96\x81the",
                                      "a\xE2\x96\x81"
                                      "b"}));
  EXPECT_EQ(vocab->types, (std::vector<int32_t>{2, 3, 3, 6, 1, 1}));
  EXPECT_EQ(vocab->scores[4], -1.5f);
  // Fewer tokens than the model's vocabulary, or more.
  EXPECT_THAT(ParseLlama2cTokenizer(reinterpret_cast<const uint8_t*>(s.data()),
                                    s.size(), 7)
                  .status()
                  .message(),
              HasSubstr("inside token 6"));
  EXPECT_THAT(ParseLlama2cTokenizer(reinterpret_cast<const uint8_t*>(s.data()),
                                    s.size(), 5)
                  .status()
                  .message(),
              HasSubstr("trailing bytes"));
}

// The vocabulary size comes from the checkpoint; a tokenizer file far too
// short for it must be refused without allocating for every claimed piece.
TEST(Llama2cTest, ShortTokenizerForAHugeVocabulary) {
  std::string s;
  PutI32(&s, 7);
  PutF32(&s, 0);
  PutI32(&s, 5);
  s += "<unk>";
  edgellm::testing::ResetLargestAllocation();
  auto vocab = ParseLlama2cTokenizer(reinterpret_cast<const uint8_t*>(s.data()),
                                     s.size(), 1 << 24);
  EXPECT_THAT(vocab.status().message(), HasSubstr("inside token 1"));
  EXPECT_LT(edgellm::testing::LargestAllocation(), size_t{4096});
}

TEST(Llama2cTest, Stories260K) {
  const std::string model =
      edgellm::testing::SharedFileOrEmpty("models/stories260K/stories260K.bin");
  const std::string tok =
      edgellm::testing::SharedFileOrEmpty("models/stories260K/tok512.bin");
  if (model.empty() || tok.empty()) {
    GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  }
  auto file = MappedFile::Open(model);
  ASSERT_TRUE(file.ok()) << file.status();
  auto c = ParseLlama2cCheckpoint((*file)->data(), (*file)->size());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->config.dim, 64);
  EXPECT_EQ(c->config.hidden_dim, 172);
  EXPECT_EQ(c->config.n_layers, 5);
  EXPECT_EQ(c->config.n_heads, 8);
  EXPECT_EQ(c->config.n_kv_heads, 4);
  EXPECT_EQ(c->config.vocab_size, 512);
  EXPECT_EQ(c->config.seq_len, 512);
  EXPECT_TRUE(c->config.shared_classifier);
  auto tok_file = MappedFile::Open(tok);
  ASSERT_TRUE(tok_file.ok());
  auto vocab = ParseLlama2cTokenizer((*tok_file)->data(), (*tok_file)->size(),
                                     c->config.vocab_size);
  ASSERT_TRUE(vocab.ok()) << vocab.status();
  EXPECT_EQ(vocab->tokens[1], "<s>");
  EXPECT_EQ(vocab->tokens[258], "<0xFF>");
  EXPECT_EQ(vocab->types[258], kTokenByte);
  EXPECT_EQ(vocab->tokens[259], "\xE2\x96\x81t");
  EXPECT_EQ(vocab->types[259], kTokenNormal);
}

}  // namespace
}  // namespace edgellm::quant
