// Context shift through the public API (EngineOptions::context_shift), on
// random-weight models the test writes: without it a prompt that does not
// fit is INVALID_ARGUMENT naming its length and the context and a
// generation ends at the context; with it the generation keeps going, and
// what follows a shift equals a cold run on the shifted tokens (greedy),
// for the slab and the paged cache and a model with sliding-window layers.
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/engine/edgellm.h"
#include "runtime/model/random_model.h"

namespace edgellm {
namespace {

using ::testing::HasSubstr;

constexpr int32_t kContext = 64;
constexpr int32_t kKeep = 4;

std::string ModelFile(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      std::string(dir ? dir : "/tmp") + "/context_shift_" + name + ".gguf";
  auto spec = model::NamedRandomModelSpec(name);
  EXPECT_TRUE(spec.ok());
  EXPECT_TRUE(model::WriteRandomModel(*spec, path, false).ok());
  return path;
}

std::unique_ptr<Engine> Load(const std::string& path, int32_t block_size,
                             int32_t shift) {
  EngineOptions options;
  options.model_path = path;
  options.threads = 1;
  options.parallel = 1;
  options.context = kContext;
  options.kv_block_size = block_size;
  options.context_shift = shift;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Load(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

GenerateRequest Greedy(std::vector<int32_t> prompt, int32_t max_tokens) {
  GenerateRequest r;
  r.prompt_ids = std::move(prompt);
  r.options.max_tokens = max_tokens;
  r.options.ignore_eos = true;
  r.options.sampling.temperature = 0.0f;
  return r;
}

// Ids from 3 up: never the tiny models' BOS (1), so the kept start is
// exactly kKeep tokens.
std::vector<int32_t> Prompt(int32_t n) {
  std::vector<int32_t> ids(n);
  for (int32_t i = 0; i < n; ++i) ids[i] = 3 + (i * 37 + 11) % 200;
  return ids;
}

TEST(ContextShiftEngineTest, WithoutItAPromptThatDoesNotFitIsRefused) {
  std::unique_ptr<Engine> engine = Load(ModelFile("tiny"), 16, -1);
  ASSERT_NE(engine, nullptr);
  absl::StatusOr<GenerateResult> refused =
      engine->Generate(Greedy(Prompt(100), 8));
  EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("100 tokens do not fit the context of 64"));
  // A generation that fills the context ends there.
  absl::StatusOr<GenerateResult> full =
      engine->Generate(Greedy(Prompt(20), 200));
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->finish_reason, FinishReason::kContextFull);
  EXPECT_EQ(full->output_ids.size(), size_t(kContext - 20 + 1));
  EXPECT_EQ(full->stats.context_shifts, 0);
}

TEST(ContextShiftEngineTest, AShiftedGenerationEqualsAColdRunOnTheKeptTokens) {
  for (const std::string name : {"tiny", "tiny-gemma3"}) {
    const std::string path = ModelFile(name);
    for (int32_t block_size : {0, 16}) {
      SCOPED_TRACE(absl::StrCat(name, " block size ", block_size));
      std::unique_ptr<Engine> shifting = Load(path, block_size, kKeep);
      std::unique_ptr<Engine> cold = Load(path, block_size, -1);
      ASSERT_NE(shifting, nullptr);
      ASSERT_NE(cold, nullptr);
      const std::vector<int32_t> prompt = Prompt(20);
      absl::StatusOr<GenerateResult> run =
          shifting->Generate(Greedy(prompt, 150));
      ASSERT_TRUE(run.ok()) << run.status();
      const std::vector<int32_t>& out = run->output_ids;
      ASSERT_EQ(out.size(), 150u);  // it kept going past the context
      EXPECT_EQ(run->finish_reason, FinishReason::kLength);
      EXPECT_GE(run->stats.context_shifts, 2);
      // The first shift: the context held the prompt and out[0..44); the
      // first kKeep stay, half of the other 60 go, out[44] is fed after.
      std::vector<int32_t> history = prompt;
      history.insert(history.end(), out.begin(), out.begin() + 44);
      ASSERT_EQ(history.size(), size_t(kContext));
      const int32_t discard = (kContext - kKeep) / 2;
      std::vector<int32_t> shifted(history.begin(), history.begin() + kKeep);
      shifted.insert(shifted.end(), history.begin() + kKeep + discard,
                     history.end());
      shifted.push_back(out[44]);
      // Until the next shift (the context full again) the tokens are a
      // cold run's on the shifted sequence.
      const int32_t until_next = kContext - int32_t(shifted.size()) + 1;
      absl::StatusOr<GenerateResult> reference =
          cold->Generate(Greedy(shifted, until_next));
      ASSERT_TRUE(reference.ok()) << reference.status();
      EXPECT_EQ(reference->output_ids,
                std::vector<int32_t>(out.begin() + 45,
                                     out.begin() + 45 + until_next));
    }
  }
}

TEST(ContextShiftEngineTest, APromptThatDoesNotFitKeepsItsStartAndItsEnd) {
  const std::string path = ModelFile("tiny");
  for (int32_t block_size : {0, 16}) {
    SCOPED_TRACE(absl::StrCat("block size ", block_size));
    std::unique_ptr<Engine> shifting = Load(path, block_size, kKeep);
    std::unique_ptr<Engine> cold = Load(path, block_size, -1);
    ASSERT_NE(shifting, nullptr);
    ASSERT_NE(cold, nullptr);
    const std::vector<int32_t> prompt = Prompt(100);
    absl::StatusOr<GenerateResult> run = shifting->Generate(Greedy(prompt, 10));
    ASSERT_TRUE(run.ok()) << run.status();
    // Halves of (64 - 4) / 2 = 30: (100 - 4 - 30) / 30 = 2 of them go.
    std::vector<int32_t> kept(prompt.begin(), prompt.begin() + kKeep);
    kept.insert(kept.end(), prompt.begin() + kKeep + 60, prompt.end());
    absl::StatusOr<GenerateResult> reference = cold->Generate(Greedy(kept, 10));
    ASSERT_TRUE(reference.ok()) << reference.status();
    EXPECT_EQ(run->output_ids, reference->output_ids);
    EXPECT_EQ(run->stats.prompt_tokens, 100);
    EXPECT_EQ(run->stats.context_shifts, 1);
    EXPECT_EQ(run->stats.context_shift_dropped_tokens, 60);
  }
}

}  // namespace
}  // namespace edgellm
