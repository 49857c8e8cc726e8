#include "runtime/model/random_model.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/engine/engine.h"
#include "runtime/model/transformer.h"

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
  engine::EngineOptions options;
  options.model_path = path;
  options.threads = 2;
  options.max_batch = 300;
  options.context = 300;
  auto engine = engine::Engine::Load(options);
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

TEST(RandomModelTest, TinyLoadsTokenizesAndGeneratesDeterministically) {
  absl::StatusOr<RandomModelSpec> spec = NamedRandomModelSpec("tiny");
  ASSERT_TRUE(spec.ok());
  const std::string path = TempPath("tiny.gguf");
  absl::Status written = WriteRandomModel(*spec, path, false);
  ASSERT_TRUE(written.ok()) << written;

  engine::EngineOptions options;
  options.model_path = path;
  options.threads = 1;
  auto engine = engine::Engine::Load(options);
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

TEST(RandomModelTest, UnknownShapeListsKnownOnes) {
  auto spec = NamedRandomModelSpec("gpt-9");
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(spec.status().message()),
              ::testing::HasSubstr("tinyllama-1.1b"));
}

}  // namespace
}  // namespace edgellm::model
