#include "runtime/engine/sampler.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <numeric>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/allocation_counter.h"

namespace edgellm::engine {
namespace {

using ::testing::HasSubstr;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Only the given filters on; everything else neutral.
SamplingParams Plain(float temperature = 1.0f) {
  SamplingParams p;
  p.temperature = temperature;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 1234;
  return p;
}

Sampler Make(const SamplingParams& p, int vocab) {
  absl::StatusOr<Sampler> s = Sampler::Create(p, vocab);
  EXPECT_TRUE(s.ok()) << s.status();
  return *std::move(s);
}

std::vector<float> LogProbs(const std::vector<double>& probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back(static_cast<float>(std::log(p)));
  return l;
}

// Relative frequencies of `draws` samples over a copy of `logits`.
std::vector<double> Frequencies(Sampler& s, const std::vector<float>& logits,
                                int draws) {
  std::vector<double> freq(logits.size(), 0.0);
  std::vector<float> scratch;
  for (int i = 0; i < draws; ++i) {
    scratch = logits;
    const int32_t t = s.Sample(scratch.data());
    EXPECT_GE(t, 0);
    if (t >= 0) freq[t] += 1.0 / draws;
  }
  return freq;
}

// With 40000 draws the standard error of a frequency is at most 0.0025;
// 0.012 is ~5 sigma, so the (seeded, deterministic) tests are not flaky
// under a change of seed either.
constexpr int kDraws = 40000;
constexpr double kTol = 0.012;

void ExpectNear(const std::vector<double>& got,
                const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], kTol) << "token " << i;
  }
}

TEST(SamplerTest, GreedyPicksArgmaxTiesToLowestId) {
  Sampler s = Make(Plain(0.0f), 5);
  std::vector<float> logits = {1.0f, 3.0f, -2.0f, 3.0f, 2.5f};
  EXPECT_EQ(s.Sample(logits.data()), 1);
  logits = {-5.0f, -1.0f, -1.0f, -7.0f, -3.0f};
  EXPECT_EQ(s.Sample(logits.data()), 1);
}

TEST(SamplerTest, TopK1EqualsGreedy) {
  SamplingParams p = Plain(1.5f);
  p.top_k = 1;
  Sampler top1 = Make(p, 1000);
  Sampler greedy = Make(Plain(0.0f), 1000);
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (int round = 0; round < 50; ++round) {
    std::vector<float> logits(1000);
    for (float& l : logits) l = normal(gen);
    std::vector<float> copy = logits;
    EXPECT_EQ(top1.Sample(logits.data()), greedy.Sample(copy.data()));
  }
}

TEST(SamplerTest, Temperature1MatchesDistribution) {
  const std::vector<double> probs = {0.5, 0.3, 0.2};
  Sampler s = Make(Plain(1.0f), 3);
  ExpectNear(Frequencies(s, LogProbs(probs), kDraws), probs);
}

TEST(SamplerTest, TemperatureReshapesDistribution) {
  // Softmax(log p / T) = p^(1/T) / sum.
  const std::vector<double> probs = {0.5, 0.3, 0.2};
  for (double t : {0.5, 2.0}) {
    std::vector<double> want;
    for (double p : probs) want.push_back(std::pow(p, 1.0 / t));
    const double z = std::accumulate(want.begin(), want.end(), 0.0);
    for (double& w : want) w /= z;
    Sampler s = Make(Plain(static_cast<float>(t)), 3);
    ExpectNear(Frequencies(s, LogProbs(probs), kDraws), want);
  }
}

TEST(SamplerTest, TopKKeepsKHighestRenormalized) {
  SamplingParams p = Plain();
  p.top_k = 2;
  Sampler s = Make(p, 4);
  ExpectNear(Frequencies(s, LogProbs({0.1, 0.4, 0.2, 0.3}), kDraws),
             {0.0, 0.4 / 0.7, 0.0, 0.3 / 0.7});
}

TEST(SamplerTest, TopPCutsTail) {
  const std::vector<float> logits = LogProbs({0.05, 0.5, 0.15, 0.3});
  SamplingParams p = Plain();
  p.top_p = 0.75f;  // 0.5 < 0.75 <= 0.5 + 0.3: keep the top two
  Sampler s = Make(p, 4);
  ExpectNear(Frequencies(s, logits, kDraws), {0.0, 0.625, 0.0, 0.375});

  p.top_p = 0.85f;  // needs the third as well
  Sampler s3 = Make(p, 4);
  ExpectNear(Frequencies(s3, logits, kDraws),
             {0.0, 0.5 / 0.95, 0.15 / 0.95, 0.3 / 0.95});
}

TEST(SamplerTest, TopPOnLargeFlatVocabularyMatchesFullSort) {
  // Nearly flat over 50000 tokens: top-p keeps tens of thousands, far more
  // than the first partial-sort chunk, exercising the growing sort.
  constexpr int kVocab = 50000;
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> uni(0.0f, 1.0f);
  std::vector<float> logits(kVocab);
  for (float& l : logits) l = uni(gen);

  // Reference kept set from a full sort (highest first, ties to lower id).
  std::vector<int> order(kVocab);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  double z = 0.0;
  for (float l : logits) z += std::exp(l - logits[order[0]]);
  std::vector<int> rank(kVocab);
  for (int r = 0; r < kVocab; ++r) rank[order[r]] = r;
  double cum = 0.0;
  int kept = 0;
  while (kept < kVocab) {
    cum += std::exp(logits[order[kept++]] - logits[order[0]]);
    if (cum >= 0.5 * z) break;
  }
  ASSERT_GT(kept, 1000);

  SamplingParams p = Plain();
  p.top_p = 0.5f;
  Sampler s = Make(p, kVocab);
  int max_rank = 0;
  for (int i = 0; i < 500; ++i) {
    std::vector<float> scratch = logits;
    const int32_t t = s.Sample(scratch.data());
    ASSERT_GE(t, 0);
    ASSERT_LT(rank[t], kept) << "token " << t << " is outside the top-p set";
    max_rank = std::max(max_rank, rank[t]);
  }
  EXPECT_GT(max_rank, kept / 2);  // the deep part of the set is reachable
}

TEST(SamplerTest, TopPOnTiesKeepsExactlyTheLowestIds) {
  // 1000 equal logits: top-p 0.5 keeps exactly ids 0..499 (ties go to the
  // lower id), or 0..399 after top-k 800 (top-p renormalizes over what top-k
  // left). More than the first sorted chunk, so without top-k the selection
  // search decides the cut; 40000 draws see every kept id (each ~80 times).
  const std::vector<float> flat(1000, 0.25f);
  for (int top_k : {0, 800}) {
    SCOPED_TRACE(top_k);
    SamplingParams p = Plain();
    p.top_k = top_k;
    p.top_p = 0.5f;
    Sampler s = Make(p, 1000);
    const std::vector<double> f = Frequencies(s, flat, kDraws);
    const int kept = top_k == 0 ? 500 : 400;
    for (int i = 0; i < 1000; ++i) {
      if (i < kept) {
        EXPECT_GT(f[i], 0.0) << "token " << i;
      } else {
        EXPECT_EQ(f[i], 0.0) << "token " << i;
      }
    }
  }
}

TEST(SamplerTest, MinPCutsBelowFractionOfMax) {
  SamplingParams p = Plain();
  p.min_p = 0.2f;  // threshold 0.2 * 0.5 = 0.1: token 3 (0.05) goes
  Sampler s = Make(p, 4);
  ExpectNear(Frequencies(s, LogProbs({0.5, 0.3, 0.15, 0.05}), kDraws),
             {0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0.0});

  p.min_p = 1.0f;  // only the maximum survives
  Sampler only_max = Make(p, 4);
  ExpectNear(Frequencies(only_max, LogProbs({0.2, 0.3, 0.4, 0.1}), 1000),
             {0.0, 0.0, 1.0, 0.0});
}

TEST(SamplerTest, FiltersSeeUntemperedLogitsInLlamaCppOrder) {
  // At T = 10 the tempered distribution is nearly flat, but top-p runs
  // before temperature, so it still cuts on the original 0.5/0.3/0.2.
  SamplingParams p = Plain(10.0f);
  p.top_p = 0.75f;
  Sampler s = Make(p, 3);
  const std::vector<double> f = Frequencies(s, LogProbs({0.5, 0.3, 0.2}), 5000);
  EXPECT_EQ(f[2], 0.0);
  EXPECT_GT(f[1], 0.4);  // near 0.5 once tempered
}

TEST(SamplerTest, SameSeedSameTokensDifferentSeedDifferent) {
  SamplingParams p;  // llama.cpp defaults
  p.seed = 42;
  std::mt19937 gen(11);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<std::vector<float>> rows(200, std::vector<float>(512));
  for (auto& row : rows) {
    for (float& l : row) l = normal(gen);
  }
  auto run = [&](Sampler& s) {
    std::vector<int32_t> out;
    for (const auto& row : rows) {
      std::vector<float> scratch = row;
      out.push_back(s.Sample(scratch.data()));
      s.Accept(out.back());
    }
    return out;
  };
  Sampler a = Make(p, 512);
  Sampler b = Make(p, 512);
  const std::vector<int32_t> first = run(a);
  EXPECT_EQ(first, run(b));
  a.Reset();
  EXPECT_EQ(first, run(a)) << "Reset() must restore the initial state";
  p.seed = 43;
  Sampler c = Make(p, 512);
  EXPECT_NE(first, run(c));
}

TEST(SamplerTest, RepetitionPenaltyDividesPositiveMultipliesNegative) {
  SamplingParams p = Plain(0.0f);
  p.repetition_penalty = 2.0f;
  Sampler s = Make(p, 4);
  s.Accept(1);
  s.Accept(2);
  s.Accept(1);  // counts do not matter for the repetition penalty
  std::vector<float> logits = {3.0f, 4.0f, -1.5f, 2.0f};
  EXPECT_EQ(s.Sample(logits.data()), 0);  // 4 / 2 = 2 < 3
  EXPECT_FLOAT_EQ(logits[0], 3.0f);
  EXPECT_FLOAT_EQ(logits[1], 2.0f);
  EXPECT_FLOAT_EQ(logits[2], -3.0f);
  EXPECT_FLOAT_EQ(logits[3], 2.0f);
}

TEST(SamplerTest, FrequencyAndPresencePenaltiesOverLastN) {
  SamplingParams p = Plain(0.0f);
  p.frequency_penalty = 0.5f;
  p.presence_penalty = 0.25f;
  p.penalty_last_n = 4;
  Sampler s = Make(p, 5);
  for (int32_t t : {4, 4, 1, 1, 1, 3}) s.Accept(t);  // window: 1 1 1 3
  std::vector<float> logits = {0.0f, 10.0f, 0.0f, 10.0f, 10.0f};
  s.Sample(logits.data());
  EXPECT_FLOAT_EQ(logits[1], 10.0f - 3 * 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(logits[3], 10.0f - 1 * 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(logits[4], 10.0f) << "token 4 left the window";
  EXPECT_FLOAT_EQ(logits[0], 0.0f);

  s.Reset();
  logits = {0.0f, 10.0f, 0.0f, 10.0f, 10.0f};
  s.Sample(logits.data());
  EXPECT_FLOAT_EQ(logits[1], 10.0f) << "Reset() clears the history";
}

TEST(SamplerTest, LogitBiasAddsAndMinusInfinityBans) {
  SamplingParams p = Plain(0.0f);
  p.logit_bias = {{2, -kInf}, {0, 1.5f}};
  Sampler greedy = Make(p, 3);
  std::vector<float> logits = {1.0f, 2.0f, 9.0f};
  EXPECT_EQ(greedy.Sample(logits.data()), 0);  // 2.5 beats 2; 9 is banned
  EXPECT_FLOAT_EQ(logits[0], 2.5f);

  p.temperature = 1.0f;
  Sampler s = Make(p, 3);
  EXPECT_EQ(Frequencies(s, {1.0f, 2.0f, 9.0f}, 5000)[2], 0.0);
}

TEST(SamplerTest, ValidateNamesTheField) {
  struct Case {
    const char* field;
    void (*mutate)(SamplingParams&);
  };
  const Case cases[] = {
      {"temperature", [](SamplingParams& p) { p.temperature = -0.1f; }},
      {"temperature", [](SamplingParams& p) { p.temperature = kNaN; }},
      {"temperature", [](SamplingParams& p) { p.temperature = kInf; }},
      {"top_k", [](SamplingParams& p) { p.top_k = -1; }},
      {"top_p", [](SamplingParams& p) { p.top_p = 0.0f; }},
      {"top_p", [](SamplingParams& p) { p.top_p = 1.01f; }},
      {"top_p", [](SamplingParams& p) { p.top_p = kNaN; }},
      {"min_p", [](SamplingParams& p) { p.min_p = -0.01f; }},
      {"min_p", [](SamplingParams& p) { p.min_p = 1.5f; }},
      {"repetition_penalty",
       [](SamplingParams& p) { p.repetition_penalty = 0.0f; }},
      {"repetition_penalty",
       [](SamplingParams& p) { p.repetition_penalty = 11.0f; }},
      {"presence_penalty", [](SamplingParams& p) { p.presence_penalty = 3; }},
      {"presence_penalty",
       [](SamplingParams& p) { p.presence_penalty = kNaN; }},
      {"frequency_penalty",
       [](SamplingParams& p) { p.frequency_penalty = -2.5f; }},
      {"penalty_last_n", [](SamplingParams& p) { p.penalty_last_n = -1; }},
      {"penalty_last_n", [](SamplingParams& p) { p.penalty_last_n = 1 << 20; }},
      {"logit_bias[1]",
       [](SamplingParams& p) {
         p.logit_bias = {{0, 1.0f}, {100, 1.0f}};
       }},
      {"logit_bias[0]",
       [](SamplingParams& p) {
         p.logit_bias = {{-1, 1.0f}};
       }},
      {"logit_bias[0]",
       [](SamplingParams& p) {
         p.logit_bias = {{3, kNaN}};
       }},
  };
  EXPECT_TRUE(SamplingParams().Validate(100).ok());
  for (const Case& c : cases) {
    SamplingParams p;
    c.mutate(p);
    const absl::Status s = p.Validate(100);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(s.message(), HasSubstr(c.field));
    EXPECT_EQ(Sampler::Create(p, 100).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(SamplingParams().Validate(0).message(), HasSubstr("vocab_size"));
}

TEST(SamplerTest, HostileLogitsDoNotCrash) {
  for (float t : {0.0f, 1.0f}) {
    SCOPED_TRACE(t);
    SamplingParams p = SamplingParams();
    p.temperature = t;
    p.repetition_penalty = 1.3f;
    p.frequency_penalty = 0.5f;
    Sampler s = Make(p, 4);
    s.Accept(0);
    s.Accept(2);
    s.Accept(-5);       // ignored
    s.Accept(1 << 30);  // ignored

    std::vector<float> all_nan(4, kNaN);
    EXPECT_EQ(s.Sample(all_nan.data()), Sampler::kNoToken);
    std::vector<float> all_banned(4, -kInf);
    EXPECT_EQ(s.Sample(all_banned.data()), Sampler::kNoToken);
    for (int i = 0; i < 100; ++i) {
      std::vector<float> mixed = {kNaN, 1.0f, kNaN, -kInf};
      EXPECT_EQ(s.Sample(mixed.data()), 1);
      std::vector<float> inf = {0.0f, kInf, 5.0f, kInf};
      const int32_t got = s.Sample(inf.data());
      EXPECT_TRUE(got == 1 || got == 3) << got;
      std::vector<float> huge = {-3e38f, 3e38f, -3e38f, 3e38f};
      const int32_t h = s.Sample(huge.data());
      EXPECT_TRUE(h == 1 || h == 3) << h;
    }
  }
  SamplingParams tiny_t = Plain(1e-45f);  // denormal temperature
  Sampler tiny = Make(tiny_t, 3);
  std::vector<float> l = {1.0f, 2.0f, 0.0f};
  EXPECT_EQ(tiny.Sample(l.data()), 1);
}

TEST(SamplerTest, VocabularyOfOne) {
  for (float t : {0.0f, 0.8f}) {
    SamplingParams p;
    p.temperature = t;
    p.repetition_penalty = 1.1f;
    Sampler s = Make(p, 1);
    float logit = -100.0f;
    EXPECT_EQ(s.Sample(&logit), 0);
    s.Accept(0);
    logit = kNaN;
    EXPECT_EQ(s.Sample(&logit), Sampler::kNoToken);
  }
}

TEST(SamplerTest, SampleAndAcceptDoNotAllocate) {
  constexpr int kVocab = 32000;
  std::mt19937 gen(5);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  std::vector<float> logits(kVocab);
  for (float& l : logits) l = normal(gen);
  std::vector<float> scratch(kVocab);

  SamplingParams everything;  // all filters on
  everything.repetition_penalty = 1.1f;
  everything.presence_penalty = 0.2f;
  everything.frequency_penalty = 0.1f;
  everything.logit_bias = {{5, -kInf}, {7, 2.0f}};
  SamplingParams deep_top_p = Plain();
  deep_top_p.top_p = 0.999f;  // grows the sort beyond its first chunk
  for (const SamplingParams& p : {everything, deep_top_p, Plain(0.0f)}) {
    Sampler s = Make(p, kVocab);
    const long before = edgellm::testing::AllocationCount();
    for (int i = 0; i < 100; ++i) {
      std::copy(logits.begin(), logits.end(), scratch.begin());
      s.Accept(s.Sample(scratch.data()));
    }
    const long allocations = edgellm::testing::AllocationCount() - before;
    EXPECT_EQ(allocations, 0);
  }
}

}  // namespace
}  // namespace edgellm::engine
