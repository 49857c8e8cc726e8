// LoadedModel-level behaviour on a random-weight model the test writes itself:
// determinism, limits, the callback's stop, and no heap allocation per
// decoded token.
#include "runtime/engine/loaded_model.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/model/random_model.h"
#include "tests/testing/allocation_counter.h"

namespace edgellm::engine {
namespace {

std::unique_ptr<LoadedModel> LoadTiny(int32_t context = 0) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      std::string(dir ? dir : "/tmp") + "/engine_tiny.gguf";
  auto spec = model::NamedRandomModelSpec("tiny");
  EXPECT_TRUE(spec.ok());
  EXPECT_TRUE(model::WriteRandomModel(*spec, path, false).ok());
  LoadOptions options;
  options.model_path = path;
  options.threads = 1;
  options.context = context;
  auto engine = LoadedModel::Load(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

TEST(EngineTest, DecodeLoopDoesNotAllocatePerToken) {
  std::unique_ptr<LoadedModel> engine = LoadTiny();
  ASSERT_NE(engine, nullptr);
  GenerateOptions options;
  options.max_tokens = 64;
  options.ignore_eos = true;
  long at_second = -1, at_last = -1;
  auto result =
      engine->Generate("once upon a time", options, [&](const TokenEvent& e) {
        if (e.index == 1) at_second = edgellm::testing::AllocationCount();
        if (e.index == 63) at_last = edgellm::testing::AllocationCount();
        return true;
      });
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->output_ids.size(), 64u);
  EXPECT_EQ(at_last - at_second, 0)
      << "heap allocations during 62 decode steps";
}

TEST(EngineTest, SameSeedSameOutputAndCallbackCanStop) {
  std::unique_ptr<LoadedModel> engine = LoadTiny();
  ASSERT_NE(engine, nullptr);
  GenerateOptions options;
  options.max_tokens = 20;
  options.ignore_eos = true;
  options.sampling.seed = 11;
  auto a = engine->Generate("the little dog", options, nullptr);
  auto b = engine->Generate("the little dog", options, nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->output_ids, b->output_ids);
  EXPECT_EQ(a->finish_reason, FinishReason::kLength);

  auto stopped =
      engine->Generate("the little dog", options,
                       [](const TokenEvent& e) { return e.index < 4; });
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->output_ids.size(), 5u);
  EXPECT_EQ(stopped->finish_reason, FinishReason::kCancelled);
}

TEST(EngineTest, ContextLimitsAreErrorsOrFinishReasons) {
  std::unique_ptr<LoadedModel> engine = LoadTiny(/*context=*/16);
  ASSERT_NE(engine, nullptr);
  GenerateOptions options;
  options.max_tokens = 100;
  options.ignore_eos = true;
  // A prompt that fills the context is refused up front, naming the field.
  std::vector<int32_t> long_prompt(16, 5);
  auto refused = engine->GenerateFromIds(long_prompt, options, nullptr);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()),
              ::testing::HasSubstr("prompt"));
  // Generation that runs into the end of the context stops cleanly.
  auto full = engine->GenerateFromIds({1, 5, 6}, options, nullptr);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->finish_reason, FinishReason::kContextFull);
  EXPECT_EQ(full->prompt_ids.size() + full->output_ids.size(), 17u);
}

TEST(EngineTest, BadInputsAreClearErrors) {
  LoadOptions options;
  options.model_path = "/nonexistent/model.gguf";
  auto missing = LoadedModel::Load(options);
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              ::testing::HasSubstr("/nonexistent/model.gguf"));

  std::unique_ptr<LoadedModel> engine = LoadTiny();
  ASSERT_NE(engine, nullptr);
  GenerateOptions bad;
  bad.sampling.top_p = 0;
  auto r = engine->Generate("hi", bad, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("top_p"));
  auto out_of_vocab =
      engine->GenerateFromIds({1, 99999}, GenerateOptions{}, nullptr);
  EXPECT_EQ(out_of_vocab.status().code(), absl::StatusCode::kInvalidArgument);
}

// An encoder-only file (bert) is refused with a message that says what it
// is and where it loads instead, not a confusing architecture error.
TEST(EngineTest, EncoderFilesAreRefusedWithAReason) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/tiny_bert.gguf";
  auto spec = model::NamedRandomModelSpec("tiny-bert");
  ASSERT_TRUE(spec.ok());
  ASSERT_TRUE(model::WriteRandomModel(*spec, path, false).ok());
  LoadOptions options;
  options.model_path = path;
  auto loaded = LoadedModel::Load(options);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(loaded.status().message()),
              ::testing::HasSubstr("encoder-only model"));
  EXPECT_THAT(std::string(loaded.status().message()),
              ::testing::HasSubstr("edgellm embed"));
}

}  // namespace
}  // namespace edgellm::engine
