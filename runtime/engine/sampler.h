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
#include "runtime/engine/edgellm.h"

namespace edgellm::engine {

// SamplingParams (the request's knobs) is part of the public API,
// runtime/engine/edgellm.h.
using ::edgellm::SamplingParams;

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
