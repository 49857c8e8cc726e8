#include "runtime/server/generate_options.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgellm::server {
namespace {

using ::testing::HasSubstr;

const FieldPrefixes kGrpc = {.sampling = "sampling.", .limits = "limits."};

TEST(BuildGenerateOptionsTest, UnsetFieldsKeepTheEngineDefaults) {
  absl::StatusOr<GenerateOptions> o = BuildGenerateOptions({}, 77, kGrpc);
  ASSERT_TRUE(o.ok()) << o.status();
  const SamplingParams defaults;
  EXPECT_EQ(o->sampling.temperature, defaults.temperature);
  EXPECT_EQ(o->sampling.top_k, defaults.top_k);
  EXPECT_EQ(o->sampling.top_p, defaults.top_p);
  EXPECT_EQ(o->sampling.seed, defaults.seed);
  EXPECT_EQ(o->max_tokens, 77);
  EXPECT_TRUE(o->stop.empty());
}

TEST(BuildGenerateOptionsTest, CopiesEveryFieldAndSortsTheBias) {
  GenerationFields f;
  f.temperature = 0.5f;
  f.top_k = 7;
  f.top_p = 0.9f;
  f.min_p = 0.1f;
  f.repetition_penalty = 1.1f;
  f.presence_penalty = 0.2f;
  f.frequency_penalty = 0.3f;
  f.penalty_last_n = 32;
  f.seed = 99;
  f.logit_bias = {{9, 1.0f}, {2, -1.0f}};
  f.max_tokens = 12;
  f.stop = {"\n", "END"};
  f.ignore_eos = true;
  absl::StatusOr<GenerateOptions> o = BuildGenerateOptions(f, 128, {});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->sampling.temperature, 0.5f);
  EXPECT_EQ(o->sampling.top_k, 7);
  EXPECT_EQ(o->sampling.top_p, 0.9f);
  EXPECT_EQ(o->sampling.min_p, 0.1f);
  EXPECT_EQ(o->sampling.repetition_penalty, 1.1f);
  EXPECT_EQ(o->sampling.presence_penalty, 0.2f);
  EXPECT_EQ(o->sampling.frequency_penalty, 0.3f);
  EXPECT_EQ(o->sampling.penalty_last_n, 32);
  EXPECT_EQ(o->sampling.seed, 99u);
  EXPECT_EQ(o->sampling.logit_bias,
            (std::vector<std::pair<int32_t, float>>{{2, -1.0f}, {9, 1.0f}}));
  EXPECT_EQ(o->max_tokens, 12);
  EXPECT_EQ(o->stop, (std::vector<std::string>{"\n", "END"}));
  EXPECT_TRUE(o->ignore_eos);
}

TEST(BuildGenerateOptionsTest, ZeroMaxTokensIsTheDefault) {
  GenerationFields f;
  f.max_tokens = 0;
  EXPECT_EQ(BuildGenerateOptions(f, 5, kGrpc)->max_tokens, 5);
}

TEST(BuildGenerateOptionsTest, ErrorsNameTheFieldInTheProtocolsTerms) {
  GenerationFields f;
  f.top_k = -1;
  EXPECT_THAT(std::string(BuildGenerateOptions(f, 1, kGrpc).status().message()),
              HasSubstr("sampling.top_k: "));
  EXPECT_THAT(std::string(BuildGenerateOptions(f, 1, {}).status().message()),
              ::testing::StartsWith("top_k: "));
  f = {};
  f.max_tokens = -3;
  EXPECT_THAT(std::string(BuildGenerateOptions(f, 1, kGrpc).status().message()),
              ::testing::StartsWith("limits.max_tokens: "));
  f = {};
  f.penalty_last_n = SamplingParams::kMaxPenaltyLastN + 1;
  EXPECT_THAT(std::string(BuildGenerateOptions(f, 1, {}).status().message()),
              ::testing::StartsWith("penalty_last_n: "));
  f = {};
  f.stop.assign(RequestLimits::kMaxStopStrings + 1, "x");
  EXPECT_THAT(std::string(BuildGenerateOptions(f, 1, kGrpc).status().message()),
              ::testing::StartsWith("limits.stop: "));
  f = {};
  f.logit_bias.assign(SamplingParams::kMaxLogitBias + 1, {1, 1.0f});
  EXPECT_THAT(std::string(BuildGenerateOptions(f, 1, {}).status().message()),
              ::testing::StartsWith("logit_bias: "));
}

}  // namespace
}  // namespace edgellm::server
