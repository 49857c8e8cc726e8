// Token sampler: turns one row of logits into a token id.
//
// The chain follows llama.cpp's default order (common/common.h
// `common_params_sampling::samplers` and common/sampling.cpp
// `common_sampler_init`, which puts logit bias in front of that list and the
// `dist` draw at the end), restricted to the samplers we implement:
//
//   logit bias -> penalties (repetition, frequency, presence)
//     -> top-k -> top-p -> min-p -> temperature -> softmax -> seeded draw
//
// Consequences of that order worth knowing: top-p and min-p see the
// untempered distribution (after bias and penalties); temperature only
// reshapes what survived the filters. temperature == 0 is greedy: the
// highest biased/penalized logit, ties to the lowest id (llama2.c run.c
// `sample_argmax`); the truncation steps cannot change the argmax.
//
// Memory: every buffer is sized at construction (vocab_size candidates, a
// vocab_size count table, a penalty_last_n ring); Sample() and Accept() never
// allocate (sampler_test.cc checks this by counting operator new).
//
// Threading: a Sampler is not thread-safe; use one per generation session.

#ifndef EDGELLM_RUNTIME_ENGINE_SAMPLER_H_
#define EDGELLM_RUNTIME_ENGINE_SAMPLER_H_

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edgellm::engine {

// Defaults are llama.cpp's (common/common.h) except `seed`, which is fixed so
// that an unconfigured sampler is reproducible; callers wanting fresh output
// per request pass their own seed.
struct SamplingParams {
  // Divides logits after truncation. 0 = greedy argmax. Must be finite, >= 0.
  float temperature = 0.8f;
  // Keep the k highest logits; 0 disables. k >= vocab keeps all.
  int top_k = 40;
  // Keep the smallest prefix (by probability) whose mass reaches top_p.
  // In (0, 1]; 1 disables.
  float top_p = 0.95f;
  // Drop tokens with p < min_p * p_max. In [0, 1]; 0 disables.
  float min_p = 0.05f;
  // CTRL-style (Keskar et al. 2019, arXiv:1909.05858) with llama.cpp's sign
  // fix: positive logits of recent tokens are divided by it, non-positive
  // ones multiplied. In (0, kMaxRepetitionPenalty]; 1 disables.
  float repetition_penalty = 1.0f;
  // OpenAI-style additive penalties (subtracted from logits): presence once
  // per distinct recent token, frequency times its count. Each in
  // [-kMaxAdditivePenalty, kMaxAdditivePenalty]; 0 disables.
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  // How many most recent Accept()ed tokens the penalties look at.
  // In [0, kMaxPenaltyLastN]; 0 disables all penalties.
  int penalty_last_n = 64;
  // Added to the logit of the given token id before anything else. -inf bans
  // the token; +inf forces it (among other +inf tokens, uniformly). Repeated
  // ids add up. Ids must be in [0, vocab_size); biases must not be NaN.
  std::vector<std::pair<int32_t, float>> logit_bias;
  // Seeds std::mt19937_64, whose output sequence the C++ standard fixes;
  // uniforms come from its raw bits (not std::uniform_real_distribution,
  // which differs between standard libraries) and candidates are drawn in a
  // fixed order, so the same seed and logits give the same tokens on every
  // run of a build (other standard libraries may differ in exp rounding and,
  // for very flat top-p sets, in the order a selection leaves candidates).
  uint64_t seed = 0;

  // Range limits; generous, but they keep a typo from silently doing harm.
  static constexpr float kMaxRepetitionPenalty = 10.0f;
  static constexpr float kMaxAdditivePenalty = 2.0f;  // OpenAI's API range.
  static constexpr int kMaxPenaltyLastN = 1 << 16;

  // INVALID_ARGUMENT naming the offending field (and logit_bias index) for
  // any value outside the ranges above, NaN anywhere, or vocab_size < 1.
  absl::Status Validate(int vocab_size) const;
};

class Sampler {
 public:
  // Returned by Sample() when no token has a usable logit (all NaN, -inf, or
  // banned). The caller must treat it as an error, not index with it.
  static constexpr int32_t kNoToken = -1;

  // Validates `params` against `vocab_size` and preallocates all buffers.
  static absl::StatusOr<Sampler> Create(const SamplingParams& params,
                                        int vocab_size);

  Sampler(Sampler&&) = default;
  Sampler& operator=(Sampler&&) = default;

  // Picks a token from `logits` (vocab_size floats). The array is used as
  // scratch: bias and penalties are applied to it in place, the rest of the
  // chain works on a private copy. NaN logits are never picked; +inf logits
  // are treated as the largest finite float. Does not record the token: call
  // Accept() with the token actually emitted.
  int32_t Sample(float* logits);

  // Appends `token` to the penalty history (the last penalty_last_n tokens).
  // Ids outside [0, vocab_size) are ignored. Callers that want the prompt
  // penalized, as llama.cpp does, Accept() the prompt tokens too.
  void Accept(int32_t token);

  // Clears the history and re-seeds the RNG, so the next Sample() calls
  // repeat those of a freshly created sampler.
  void Reset();

  const SamplingParams& params() const { return params_; }
  int vocab_size() const { return vocab_size_; }

 private:
  struct Candidate {
    float logit;
    int32_t id;
  };

  Sampler(const SamplingParams& params, int vocab_size);

  void ApplyBias(float* logits) const;
  void ApplyPenalties(float* logits);
  // Top-p over candidates_[0, n), whose first `sorted` entries are already
  // the highest in order: moves the smallest highest-first set whose
  // unnormalized mass (exp(logit - max_logit)) reaches `target` to the front
  // and returns its size.
  int TopPCount(int n, int sorted, float max_logit, double target);
  // Uniform double in [0, 1) from 53 raw bits of the generator.
  double NextUniform();

  SamplingParams params_;
  int vocab_size_;
  std::mt19937_64 rng_;
  std::vector<Candidate> candidates_;  // vocab_size entries
  std::vector<float> weights_;         // vocab_size entries
  std::vector<int32_t> counts_;        // per-token count in the history ring
  std::vector<int32_t> history_;       // ring of the last penalty_last_n ids
  int history_begin_ = 0;
  int history_size_ = 0;
};

}  // namespace edgellm::engine

#endif  // EDGELLM_RUNTIME_ENGINE_SAMPLER_H_
