#include "runtime/model/random_model.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ops/kernels/dispatch.h"
#include "ops/kernels/quant_dispatch.h"
#include "ops/linear.h"
#include "ops/quant_linear.h"
#include "quant/q8_0.h"
#include "quant/recipe.h"
#include "runtime/engine/loaded_model.h"
#include "runtime/model/transformer.h"
#include "runtime/model/weights.h"

namespace edgellm::model {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

// A prompt longer than the feed-forward chunk (128 tokens) in one Forward
// batch gives the same hidden states, bit for bit, as the same tokens in
// small batches: chunking is invisible.
TEST(RandomModelTest, LongBatchEqualsSmallBatches) {
  absl::StatusOr<RandomModelSpec> spec = NamedRandomModelSpec("tiny");
  ASSERT_TRUE(spec.ok());
  const std::string path = TempPath("tiny_long.gguf");
  ASSERT_TRUE(WriteRandomModel(*spec, path, false).ok());
  engine::LoadOptions options;
  options.model_path = path;
  options.threads = 2;
  options.max_batch = 300;
  options.context = 300;
  auto engine = engine::LoadedModel::Load(options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  Transformer& t = (*engine)->transformer();
  const int32_t d = (*engine)->config().embedding_length;
  const int32_t n = 300;
  std::vector<BatchToken> tokens(n);
  for (int32_t i = 0; i < n; ++i) {
    tokens[i].token = (i * 37 + 11) % (*engine)->config().vocab_size;
    tokens[i].pos = i;
    tokens[i].want_logits = true;
  }
  std::vector<float> whole(size_t(n) * d), pieces(size_t(n) * d);
  ASSERT_TRUE(t.ForwardHidden(tokens, whole.data()).ok());
  for (int32_t b = 0; b < n; b += 50) {
    ASSERT_TRUE(t.ForwardHidden(absl::MakeConstSpan(tokens).subspan(b, 50),
                                pieces.data() + size_t(b) * d)
                    .ok());
  }
  EXPECT_EQ(
      std::memcmp(whole.data(), pieces.data(), whole.size() * sizeof(float)),
      0);
}

// Random models of the 4- to 6-bit file types (256-wide rows, so the
// K-quants are used, not their fallbacks) have llama.cpp's per-tensor mix,
// load, and their tied head's logits equal the reference kernel applied to
// ForwardHidden's output with the head as the file stores it (the kernels
// are tested on their own; this is the wiring from file to logits).
TEST(RandomModelTest, QuantizedFileTypesLoadAndRun) {
  struct Case {
    quant::FileType type;
    gguf::TensorType head, most;
  };
  const Case cases[] = {
      {quant::FileType::kQ4_0, gguf::TensorType::kQ6_K,
       gguf::TensorType::kQ4_0},
      {quant::FileType::kQ4_K_M, gguf::TensorType::kQ6_K,
       gguf::TensorType::kQ4_K},
      {quant::FileType::kQ6_K, gguf::TensorType::kQ6_K,
       gguf::TensorType::kQ6_K},
      {quant::FileType::kIQ4_XS, gguf::TensorType::kQ6_K,
       gguf::TensorType::kIQ4_XS},
  };
  for (const Case& c : cases) {
    RandomModelSpec spec;
    spec.name = "quantized";
    spec.vocab_size = 640;
    spec.embedding_length = 256;
    spec.block_count = 2;
    spec.feed_forward_length = 512;
    spec.file_type = c.type;
    const std::string path =
        TempPath(absl::StrCat("random_", quant::FileTypeName(c.type), ".gguf"));
    ASSERT_TRUE(WriteRandomModel(spec, path, false).ok());
    engine::LoadOptions options;
    options.model_path = path;
    options.threads = 2;
    options.context = 8;
    auto engine = engine::LoadedModel::Load(options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    absl::StatusOr<ModelWeights> w =
        BindWeights((*engine)->file(), (*engine)->config());
    ASSERT_TRUE(w.ok()) << w.status();
    EXPECT_EQ(w->output.type, c.head) << quant::FileTypeName(c.type);
    EXPECT_EQ(w->layers[0].wq.type, c.most) << quant::FileTypeName(c.type);
    Transformer& t = (*engine)->transformer();
    const int32_t d = 256, vocab = 640;
    const BatchToken tok{.token = 17, .pos = 0, .slot = 0, .want_logits = true};
    std::vector<float> hidden(d), logits(vocab), want(vocab);
    ASSERT_TRUE(t.ForwardHidden({&tok, 1}, hidden.data()).ok());
    // The same position again for Forward (it rewrites the same KV row).
    ASSERT_TRUE(t.Forward({&tok, 1}, logits.data()).ok());
    absl::StatusOr<ops::QuantMatrix> head = ops::QuantMatrix::CreateWithKernel(
        ops::kernels::QuantGemmKernels(c.head)[0], w->output.data, vocab, d,
        "head");
    ASSERT_TRUE(head.ok()) << head.status();
    auto pool = ops::ThreadPool::Create(1);
    const ops::QuantLinearCall call{&*head, nullptr, want.data()};
    ASSERT_TRUE(ops::QuantLinear(hidden.data(), 1, {call}, pool->get()).ok());
    EXPECT_EQ(std::memcmp(logits.data(), want.data(), vocab * sizeof(float)), 0)
        << quant::FileTypeName(c.type);
  }
}

// The output head of a tied model whose matrix spans two packing slabs
// (> 4 MB) and ends in a partial 16-row group (vocabulary 32003): the
// logits of Forward equal, bit for bit, the reference kernel run on the
// head as the file stores it, applied to ForwardHidden's output. So packing
// in parallel slabs, the arena and the release of the file's pages lose
// nothing.
TEST(RandomModelTest, PackedHeadOfTwoSlabsEqualsTheFilesHead) {
  RandomModelSpec spec;
  spec.name = "two-slab-head";
  spec.vocab_size = 32003;
  spec.embedding_length = 128;
  spec.block_count = 1;
  spec.feed_forward_length = 256;
  const std::string path = TempPath("two_slab_head.gguf");
  ASSERT_TRUE(WriteRandomModel(spec, path, false).ok());
  engine::LoadOptions options;
  options.model_path = path;
  options.threads = 2;
  options.context = 8;
  auto engine = engine::LoadedModel::Load(options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  Transformer& t = (*engine)->transformer();
  const ModelConfig& c = (*engine)->config();
  absl::StatusOr<ModelWeights> w = BindWeights((*engine)->file(), c);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_EQ(w->output.type, gguf::TensorType::kQ8_0);
  ASSERT_GT(w->output.size_bytes, size_t{4} << 20);
  // Tokens from the start, middle and the partial last group of the tied
  // table (Embed reads them back from the packed head).
  const int32_t ids[] = {0, 16001, 32002};
  std::vector<quant::BlockQ8_0> xq(c.embedding_length /
                                   quant::kQ8_0BlockSize);  // ref's scratch
  for (int32_t pos = 0; pos < 3; ++pos) {
    const BatchToken token{
        .token = ids[pos], .pos = pos, .slot = 0, .want_logits = true};
    std::vector<float> hidden(c.embedding_length), logits(c.vocab_size),
        want(c.vocab_size);
    ASSERT_TRUE(t.ForwardHidden({&token, 1}, hidden.data()).ok());
    ASSERT_TRUE(t.Forward({&token, 1}, logits.data()).ok());
    ASSERT_TRUE(ops::LinearQ8_0WithKernel(
                    ops::kernels::Q8_0GemmKernels()[0], hidden.data(), 1,
                    c.embedding_length,
                    reinterpret_cast<const quant::BlockQ8_0*>(w->output.data),
                    c.vocab_size, nullptr, want.data(), nullptr, xq.data())
                    .ok());
    EXPECT_EQ(std::memcmp(logits.data(), want.data(), want.size() * 4), 0)
        << "token " << ids[pos];
  }
}

TEST(RandomModelTest, TinyLoadsTokenizesAndGeneratesDeterministically) {
  absl::StatusOr<RandomModelSpec> spec = NamedRandomModelSpec("tiny");
  ASSERT_TRUE(spec.ok());
  const std::string path = TempPath("tiny.gguf");
  absl::Status written = WriteRandomModel(*spec, path, false);
  ASSERT_TRUE(written.ok()) << written;

  engine::LoadOptions options;
  options.model_path = path;
  options.threads = 1;
  auto engine = engine::LoadedModel::Load(options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  EXPECT_EQ((*engine)->config().embedding_length, 128);
  // The vocabulary builds whole words from their prefixes.
  std::vector<int32_t> ids = (*engine)->Encode("once upon a time");
  ASSERT_EQ(ids.size(), 5u);  // BOS + 4 words
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ((*engine)->tokenizer().Decode(absl::MakeConstSpan(ids).subspan(1)),
            "once upon a time");

  engine::GenerateOptions gen;
  gen.max_tokens = 12;
  gen.sampling.seed = 7;
  auto a = (*engine)->GenerateFromIds(ids, gen, nullptr);
  auto b = (*engine)->GenerateFromIds(ids, gen, nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->output_ids, b->output_ids);
  EXPECT_FALSE(a->output_ids.empty());
}

// The published shapes at their own widths, heads, rotary dims and windows
// (their layers cut to one period, the vocabulary to 1024 to keep the files
// small) load with the configuration the spec describes and give finite
// hidden states.
TEST(RandomModelTest, PublishedShapesLoadAtTheirWidths) {
  for (const char* name :
       {"qwen3-0.6b", "gemma3-1b", "phi4-mini", "llama3.2-1b", "smollm3-3b"}) {
    absl::StatusOr<RandomModelSpec> spec = NamedRandomModelSpec(name);
    ASSERT_TRUE(spec.ok()) << name;
    spec->block_count = spec->architecture == "gemma3" ? 6 : 1;
    spec->vocab_size = 1024;
    spec->file_type = quant::FileType::kQ4_0;
    const std::string path = TempPath(std::string(name) + "-small.gguf");
    ASSERT_TRUE(WriteRandomModel(*spec, path, false).ok()) << name;
    engine::LoadOptions options;
    options.model_path = path;
    options.threads = 2;
    options.context = 64;
    auto engine = engine::LoadedModel::Load(options);
    ASSERT_TRUE(engine.ok()) << name << ": " << engine.status();
    const ModelConfig& c = (*engine)->config();
    EXPECT_EQ(c.architecture_name, spec->architecture) << name;
    EXPECT_EQ(c.embedding_length, spec->embedding_length) << name;
    EXPECT_EQ(c.head_dim, spec->head_dim > 0
                              ? spec->head_dim
                              : spec->embedding_length / spec->head_count)
        << name;
    EXPECT_EQ(c.rope_dimension_count, spec->rope_dimension_count > 0
                                          ? spec->rope_dimension_count
                                          : c.head_dim)
        << name;
    EXPECT_TRUE(c.tied_output) << name;
    int local = 0;
    for (const LayerConfig& l : c.layers) local += l.window > 0;
    EXPECT_EQ(local, spec->architecture == "gemma3" ? 5 : 0) << name;
    std::vector<BatchToken> tokens(4);
    for (int i = 0; i < 4; ++i) {
      tokens[i] = {.token = 300 + i, .pos = i, .want_logits = true};
    }
    std::vector<float> hidden(size_t(4) * c.embedding_length);
    ASSERT_TRUE(
        (*engine)->transformer().ForwardHidden(tokens, hidden.data()).ok())
        << name;
    for (float x : hidden) ASSERT_TRUE(std::isfinite(x)) << name;
  }
}

TEST(RandomModelTest, UnknownShapeListsKnownOnes) {
  auto spec = NamedRandomModelSpec("gpt-9");
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(spec.status().message()),
              ::testing::HasSubstr("tinyllama-1.1b"));
}

}  // namespace
}  // namespace edgellm::model
