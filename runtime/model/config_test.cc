// ReadModelConfig through the architecture table: which keys each
// architecture reads and the per-layer plan (sliding windows, their RoPE
// base and scaling, NoPE layers, LongRoPE settings) it derives.
#include "runtime/model/config.h"

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

// The keys every decoder needs, for `arch` with `layers` layers (width 64,
// 4 heads of 16, 2 KV heads), and a token_embd to size the vocabulary.
gguf::GgufWriter BaseWriter(const std::string& arch, int layers) {
  gguf::GgufWriter w;
  w.SetString("general.architecture", arch);
  w.SetUint32(arch + ".block_count", layers);
  w.SetUint32(arch + ".embedding_length", 64);
  w.SetUint32(arch + ".feed_forward_length", 128);
  w.SetUint32(arch + ".attention.head_count", 4);
  w.SetUint32(arch + ".attention.head_count_kv", 2);
  w.SetUint32(arch + ".context_length", 1024);
  w.SetFloat32(arch + ".rope.freq_base", 1e6f);
  w.AddTensor("token_embd.weight", gguf::TensorType::kF32, {64, 10},
              std::string(64 * 10 * 4, '\0'));
  return w;
}

struct Parsed {
  std::string bytes;  // the file the GgufFile views
  std::unique_ptr<gguf::GgufFile> file;
};

absl::StatusOr<ModelConfig> Read(const gguf::GgufWriter& w, Parsed* keep) {
  absl::StatusOr<std::string> bytes = w.WriteToString();
  if (!bytes.ok()) return bytes.status();
  keep->bytes = std::move(*bytes);
  absl::StatusOr<std::unique_ptr<gguf::GgufFile>> file =
      gguf::GgufFile::FromBuffer(keep->bytes.data(), keep->bytes.size());
  if (!file.ok()) return file.status();
  keep->file = std::move(*file);
  return ReadModelConfig(*keep->file);
}

TEST(ConfigTest, Gemma3LocalAndGlobalLayers) {
  gguf::GgufWriter w = BaseWriter("gemma3", 8);
  w.SetUint32("gemma3.attention.sliding_window", 4);
  w.SetString("gemma3.rope.scaling.type", "linear");
  w.SetFloat32("gemma3.rope.scaling.factor", 8.0f);
  Parsed p;
  absl::StatusOr<ModelConfig> c = Read(w, &p);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->layers.size(), 8u);
  // Period 6 by default: layers 5 (and 11, ...) are global.
  for (int il = 0; il < 8; ++il) {
    const LayerConfig& l = c->layers[il];
    SCOPED_TRACE(il);
    EXPECT_TRUE(l.rope);
    if (il == 5) {
      EXPECT_EQ(l.window, 0);
      EXPECT_EQ(l.rope_freq_base, 1e6f);
      EXPECT_EQ(l.rope_freq_scale, 0.125f);
    } else {
      EXPECT_EQ(l.window, 4);
      EXPECT_EQ(l.rope_freq_base, 1e4f);  // the default local base
      EXPECT_EQ(l.rope_freq_scale, 1.0f);
    }
  }
  EXPECT_EQ(c->embedding_scale, 8.0f);  // sqrtf(64)
  EXPECT_TRUE(c->arch.qk_norm);
  EXPECT_EQ(DescribeLayers(*c),
            "8 layers: 7 local (window 4, rope base 10000), 1 global (rope "
            "base 1e+06, scale 0.125)");
  // The KV cache holds the window for local layers only, never more than
  // the context.
  EXPECT_EQ(KvRowsPerLayer(*c, 100),
            (std::vector<int32_t>{4, 4, 4, 4, 4, 100, 4, 4}));
  EXPECT_EQ(KvRowsPerLayer(*c, 3),
            (std::vector<int32_t>{3, 3, 3, 3, 3, 3, 3, 3}));
  EXPECT_EQ(KvBytesPerSlot(*c, 100, KvCacheType::kF32),
            (7 * 4 + 100) * 2 * 32 * 4u);
  EXPECT_EQ(KvBytesPerSlot(*c, 100, KvCacheType::kF16),
            (7 * 4 + 100) * 2 * 32 * 2u);
  // q8_0: one 34-byte block per 32 values.
  EXPECT_EQ(KvBytesPerSlot(*c, 100, KvCacheType::kQ8_0),
            (7 * 4 + 100) * 2 * 34u);
}

TEST(ConfigTest, SlidingWindowPatternAndSwaBaseFromTheFile) {
  gguf::GgufWriter w = BaseWriter("gemma3", 4);
  w.SetUint32("gemma3.attention.sliding_window", 8);
  w.SetUint32("gemma3.attention.sliding_window_pattern", 2);
  w.SetFloat32("gemma3.rope.freq_base_swa", 5e4f);
  Parsed p;
  absl::StatusOr<ModelConfig> c = Read(w, &p);
  ASSERT_TRUE(c.ok()) << c.status();
  const std::vector<int32_t> windows = {
      c->layers[0].window, c->layers[1].window, c->layers[2].window,
      c->layers[3].window};
  EXPECT_EQ(windows, (std::vector<int32_t>{8, 0, 8, 0}));
  EXPECT_EQ(c->layers[0].rope_freq_base, 5e4f);
  EXPECT_EQ(c->layers[1].rope_freq_base, 1e6f);

  // One flag per layer.
  gguf::GgufWriter flags = BaseWriter("gemma3", 3);
  flags.SetUint32("gemma3.attention.sliding_window", 8);
  flags.SetInt32Array("gemma3.attention.sliding_window_pattern", {0, 1, 1});
  Parsed p2;
  c = Read(flags, &p2);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->layers[0].window, 0);
  EXPECT_EQ(c->layers[1].window, 8);
  EXPECT_EQ(c->layers[2].window, 8);

  gguf::GgufWriter bad = BaseWriter("gemma3", 3);
  bad.SetUint32("gemma3.attention.sliding_window", 8);
  bad.SetInt32Array("gemma3.attention.sliding_window_pattern", {0, 1});
  Parsed p3;
  c = Read(bad, &p3);
  EXPECT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("sliding_window_pattern"));
}

TEST(ConfigTest, Phi3IgnoresItsWindowAndReadsLongRope) {
  gguf::GgufWriter w = BaseWriter("phi3", 2);
  w.SetUint32("phi3.attention.sliding_window", 16);
  w.SetUint32("phi3.rope.dimension_count", 12);  // partial rotary, of 16
  w.SetUint32("phi3.rope.scaling.original_context_length", 256);
  w.SetFloat32("phi3.rope.scaling.attn_factor", 1.1902381f);
  Parsed p;
  absl::StatusOr<ModelConfig> c = Read(w, &p);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->sliding_window, 0);
  EXPECT_EQ(c->layers[0].window, 0);
  EXPECT_EQ(c->rope_dimension_count, 12);
  EXPECT_EQ(c->rope_original_context, 256);
  EXPECT_EQ(c->rope_attn_factor, 1.1902381f);
  EXPECT_EQ(c->rope_style, RopeStyle::kNeox);
  EXPECT_TRUE(c->arch.fused_qkv && c->arch.fused_gate_up);
}

TEST(ConfigTest, SmolLm3SkipsRopeEveryFourthLayer) {
  Parsed p;
  absl::StatusOr<ModelConfig> c = Read(BaseWriter("smollm3", 8), &p);
  ASSERT_TRUE(c.ok()) << c.status();
  for (int il = 0; il < 8; ++il) {
    EXPECT_EQ(c->layers[il].rope, il != 3 && il != 7) << il;
  }
}

TEST(ConfigTest, Qwen3HeadWidthFromKeyLength) {
  gguf::GgufWriter w = BaseWriter("qwen3", 1);
  w.SetUint32("qwen3.attention.key_length", 32);
  w.SetUint32("qwen3.attention.value_length", 32);
  Parsed p;
  absl::StatusOr<ModelConfig> c = Read(w, &p);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->head_dim, 32);
  EXPECT_EQ(c->q_dim(), 128);  // wider than the embedding
  EXPECT_FALSE(c->has_qkv_bias);

  gguf::GgufWriter v = BaseWriter("qwen3", 1);
  v.SetUint32("qwen3.attention.key_length", 32);
  v.SetUint32("qwen3.attention.value_length", 16);
  Parsed p2;
  c = Read(v, &p2);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(c.status().message(), HasSubstr("value_length"));
}

TEST(ConfigTest, RefusesWhatLlamaCppRefuses) {
  gguf::GgufWriter llama = BaseWriter("llama", 1);
  llama.SetUint32("llama.rope.dimension_count", 8);  // head_dim is 16
  Parsed p;
  absl::StatusOr<ModelConfig> c = Read(llama, &p);
  EXPECT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("rope.dimension_count"));

  Parsed p2;
  c = Read(BaseWriter("mamba", 1), &p2);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(c.status().message(), HasSubstr("'mamba'"));
  EXPECT_THAT(c.status().message(), HasSubstr("gemma3"));
  EXPECT_FALSE(IsSupportedArchitecture("mamba"));
  for (const char* name :
       {"llama", "qwen2", "qwen3", "gemma3", "phi3", "smollm3"}) {
    EXPECT_TRUE(IsSupportedArchitecture(name)) << name;
  }
}

// Integer keys and counts are range-checked before they are narrowed to
// int32, and the error names the key or tensor.
TEST(ConfigTest, RefusesCountsPastInt32NamingTheKey) {
  for (const uint64_t value :
       {(uint64_t{1} << 32) + 1, (uint64_t{1} << 63) + 1, ~uint64_t{0}}) {
    gguf::GgufWriter w = BaseWriter("llama", 1);
    w.SetUint64("llama.block_count", value);
    Parsed p;
    absl::StatusOr<ModelConfig> c = Read(w, &p);
    EXPECT_FALSE(c.ok()) << value;
    EXPECT_THAT(c.status().message(), HasSubstr("llama.block_count")) << value;
  }
  // Without a token list or vocab_size key, the vocabulary is token_embd's
  // row count (1-byte I8 rows keep the file at 16 MB).
  gguf::GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetUint32("llama.block_count", 1);
  w.SetUint32("llama.embedding_length", 64);
  w.SetUint32("llama.feed_forward_length", 128);
  w.SetUint32("llama.attention.head_count", 4);
  const int64_t rows = (int64_t{1} << 24) + 1;
  w.AddTensor("token_embd.weight", gguf::TensorType::kI8, {1, rows},
              std::string(rows, '\0'));
  Parsed p;
  absl::StatusOr<ModelConfig> c = Read(w, &p);
  EXPECT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(),
              HasSubstr("token_embd.weight has 16777217 rows"));
}

// A token list of 2^24 + 4 entries (without a vocab_size key it sizes the
// vocabulary; narrowed to int32 it would be what its low bits say).
TEST(ConfigTest, RefusesAHugeTokenListNamingTheKey) {
  gguf::GgufWriter w = BaseWriter("llama", 1);
  w.SetInt32Array("tokenizer.ggml.tokens",
                  std::vector<int32_t>((int64_t{1} << 22) + 1, 0));
  absl::StatusOr<std::string> bytes = w.WriteToString();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ASSERT_TRUE(
      testing::WidenInt32ArrayToBytes(*bytes, "tokenizer.ggml.tokens").ok());
  absl::StatusOr<std::unique_ptr<gguf::GgufFile>> file =
      gguf::GgufFile::FromBuffer(bytes->data(), bytes->size());
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<ModelConfig> c = ReadModelConfig(**file);
  ASSERT_FALSE(c.ok()) << "vocab_size " << c->vocab_size;
  EXPECT_THAT(c.status().message(),
              HasSubstr("tokenizer.ggml.tokens has 16777220 entries"));
}

}  // namespace
}  // namespace edgellm::model
