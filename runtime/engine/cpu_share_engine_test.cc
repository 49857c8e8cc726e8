// A decoder's and an encoder's Engine in one process sharing the CPU
// (EngineOptions::cpu_share, cpu_share.h), on make-model's tiny and
// tiny-bert files: while a generation runs, a large Embed batch is cut into
// short passes with a decode step between every two, both finish, and the
// vectors are what the encoder gives alone; with no generation running the
// encoder keeps its full passes. Checked by the engines' step and token
// counters, never by time.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "runtime/engine/cpu_share.h"
#include "runtime/engine/edgellm.h"
#include "runtime/model/random_model.h"

namespace edgellm {
namespace {

constexpr int32_t kSharedPassTokens = 32;

std::string WriteShape(const std::string& shape) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path =
      absl::StrCat(dir != nullptr ? dir : "/tmp", "/", shape, ".gguf");
  auto spec = model::NamedRandomModelSpec(shape);
  EXPECT_TRUE(spec.ok());
  EXPECT_TRUE(model::WriteRandomModel(*spec, path, false).ok());
  return path;
}

std::unique_ptr<Engine> Load(const std::string& path,
                             std::shared_ptr<CpuShare> share) {
  EngineOptions options;
  options.model_path = path;
  options.threads = 1;
  options.context = 1024;
  // A generation runs until cancelled, however fast the machine.
  options.context_shift = 4;
  options.cpu_share = std::move(share);
  options.shared_pass_tokens = kSharedPassTokens;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Load(options);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

// kMaxEmbedTexts texts of 1 to 12 words, each a whole token of
// make-model's WordPiece vocabulary.
EmbedRequest ManyTexts() {
  static constexpr const char* kWords[] = {"the",  "of",   "and", "to",
                                           "in",   "is",   "for", "on",
                                           "with", "what", "how", "which"};
  EmbedRequest request;
  for (int i = 0; i < RequestLimits::kMaxEmbedTexts; ++i) {
    std::vector<std::string> words;
    for (int w = 0; w <= i % 12; ++w) words.push_back(kWords[(i + w) % 12]);
    request.texts.push_back(absl::StrJoin(words, " "));
  }
  return request;
}

int64_t Sum(const std::vector<int32_t>& v) {
  int64_t s = 0;
  for (int32_t x : v) s += x;
  return s;
}

TEST(CpuShareEngineTest, AGenerationKeepsStepsWhileALargeEmbedBatchRuns) {
  std::shared_ptr<CpuShare> share = CpuShare::Create();
  std::unique_ptr<Engine> decoder = Load(WriteShape("tiny"), share);
  std::unique_ptr<Engine> encoder = Load(WriteShape("tiny-bert"), share);
  std::unique_ptr<Engine> alone = Load(WriteShape("tiny-bert"), nullptr);
  ASSERT_NE(decoder, nullptr);
  ASSERT_NE(encoder, nullptr);
  ASSERT_NE(alone, nullptr);

  GenerateRequest generate;
  generate.prompt = "once upon a time";
  generate.options.max_tokens = 1 << 30;  // until cancelled
  generate.options.ignore_eos = true;
  generate.options.sampling.temperature = 0.0f;
  absl::StatusOr<std::shared_ptr<GenerationStream>> stream =
      decoder->Submit(generate);
  ASSERT_TRUE(stream.ok()) << stream.status();
  // The generation is decoding before the batch arrives.
  std::optional<StreamEvent> first = (*stream)->Next(absl::Seconds(60));
  ASSERT_TRUE(first.has_value());
  ASSERT_FALSE(first->final) << first->status;
  const int64_t steps_before = decoder->counters().steps;

  absl::StatusOr<EmbedResult> got = encoder->Embed(ManyTexts());
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->status.ok()) << got->status;
  const int64_t decode_steps = decoder->counters().steps - steps_before;
  // Still generating: every pass of the batch ran beside it.
  EXPECT_EQ(decoder->counters().active, 1);
  (*stream)->Cancel();

  const Engine::Counters e = encoder->counters();
  const int64_t tokens = Sum(got->tokens);
  const int32_t longest =
      *std::max_element(got->tokens.begin(), got->tokens.end());
  ASSERT_LE(longest, kSharedPassTokens);
  EXPECT_EQ(e.batched_tokens, tokens);
  // Passes of at most kSharedPassTokens tokens, not the 1,024 of a pass
  // alone, and at least one whole text each (how many texts fit in a
  // decode step's time depends on the machine: the time rule itself is
  // checked on a fake clock in cpu_share_test and scheduler_test).
  EXPECT_GE(e.steps, (tokens + kSharedPassTokens - 1) / kSharedPassTokens);
  EXPECT_LE(e.steps, static_cast<int64_t>(got->tokens.size()));
  // A decode step between every two passes.
  EXPECT_GE(decode_steps, e.steps - 1)
      << e.steps << " encoder passes, " << decode_steps << " decode steps";

  // Cut into other passes, the vectors are what the encoder gives alone.
  absl::StatusOr<EmbedResult> expected = alone->Embed(ManyTexts());
  ASSERT_TRUE(expected.ok()) << expected.status();
  ASSERT_EQ(got->vectors.size(), expected->vectors.size());
  for (size_t t = 0; t < got->vectors.size(); ++t) {
    ASSERT_EQ(got->vectors[t].size(), expected->vectors[t].size());
    for (size_t i = 0; i < got->vectors[t].size(); ++i) {
      // Packed passes differ only in summation order.
      ASSERT_NEAR(got->vectors[t][i], expected->vectors[t][i],
                  1e-4f * (1 + std::fabs(expected->vectors[t][i])))
          << "text " << t << "[" << i << "]";
    }
  }
}

TEST(CpuShareEngineTest, WithNoGenerationRunningTheEncoderKeepsFullPasses) {
  std::shared_ptr<CpuShare> share = CpuShare::Create();
  std::unique_ptr<Engine> decoder = Load(WriteShape("tiny"), share);
  std::unique_ptr<Engine> encoder = Load(WriteShape("tiny-bert"), share);
  ASSERT_NE(decoder, nullptr);
  ASSERT_NE(encoder, nullptr);
  absl::StatusOr<EmbedResult> got = encoder->Embed(ManyTexts());
  ASSERT_TRUE(got.ok()) << got.status();
  const int64_t tokens = Sum(got->tokens);
  const int32_t longest =
      *std::max_element(got->tokens.begin(), got->tokens.end());
  const Engine::Counters e = encoder->counters();
  EXPECT_EQ(e.batched_tokens, tokens);
  // Passes of up to 1,024 tokens (or 256 texts).
  EXPECT_LE(e.steps, tokens / (1024 - longest + 1) + 1);
  EXPECT_EQ(decoder->counters().steps, 0);

  // And a generation alone runs to its end with the encoder idle.
  GenerateRequest generate;
  generate.prompt = "once upon a time";
  generate.options.max_tokens = 20;
  generate.options.ignore_eos = true;
  absl::StatusOr<GenerateResult> done = decoder->Generate(generate);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->stats.generated_tokens, 20);
}

TEST(CpuShareEngineTest, SharedPassTokensMustBePositive) {
  EngineOptions options;
  options.model_path = WriteShape("tiny-bert");
  options.shared_pass_tokens = 0;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Load(options);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(engine.status().message().find("shared_pass_tokens"),
            std::string::npos)
      << engine.status();
}

}  // namespace
}  // namespace edgellm
