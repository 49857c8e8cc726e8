#include "runtime/model/random_model.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/engine/engine.h"

namespace edgellm::model {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
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
