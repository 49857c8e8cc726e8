#include "runtime/engine/sampler.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace edgellm::engine {
namespace {

// Top-p sorts only this many leading candidates before falling back to a
// selection search: over a large vocabulary it usually stops within the first
// few hundred tokens, so sorting all of it would be wasted work.
constexpr int kFirstSortChunk = 256;

// Highest logit first, ties to the lower id: a strict total order (NaN never
// reaches it), so sorted results do not depend on the sort algorithm.
constexpr auto kBefore = [](const auto& a, const auto& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
};

}  // namespace

absl::StatusOr<Sampler> Sampler::Create(const SamplingParams& params,
                                        int vocab_size) {
  if (absl::Status s = params.Validate(vocab_size); !s.ok()) return s;
  return Sampler(params, vocab_size);
}

Sampler::Sampler(const SamplingParams& params, int vocab_size)
    : params_(params),
      vocab_size_(vocab_size),
      rng_(params.seed),
      candidates_(vocab_size),
      weights_(vocab_size) {
  if (params_.penalty_last_n > 0) {
    counts_.assign(vocab_size, 0);
    history_.assign(params_.penalty_last_n, 0);
  }
}

void Sampler::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  history_begin_ = 0;
  history_size_ = 0;
  rng_.seed(params_.seed);
}

void Sampler::Accept(int32_t token) {
  if (history_.empty() || token < 0 || token >= vocab_size_) return;
  const int capacity = static_cast<int>(history_.size());
  if (history_size_ == capacity) {
    --counts_[history_[history_begin_]];
    history_[history_begin_] = token;
    history_begin_ = (history_begin_ + 1) % capacity;
  } else {
    history_[(history_begin_ + history_size_) % capacity] = token;
    ++history_size_;
  }
  ++counts_[token];
}

void Sampler::ApplyBias(float* logits) const {
  for (const auto& [id, bias] : params_.logit_bias) logits[id] += bias;
}

void Sampler::ApplyPenalties(float* logits) {
  if (history_size_ == 0 ||
      (params_.repetition_penalty == 1.0f &&
       params_.frequency_penalty == 0.0f && params_.presence_penalty == 0.0f)) {
    return;
  }
  const int capacity = static_cast<int>(history_.size());
  // Each distinct token is penalized once; its count is negated to mark it
  // done and restored in the second pass (no extra per-token memory).
  for (int j = 0; j < history_size_; ++j) {
    const int32_t t = history_[(history_begin_ + j) % capacity];
    const int32_t count = counts_[t];
    if (count <= 0) continue;
    float& l = logits[t];
    // llama.cpp src/llama-sampling.cpp llama_sampler_penalties_apply: CTRL
    // divides, which would raise negative logits, so those are multiplied.
    if (l <= 0.0f) {
      l *= params_.repetition_penalty;
    } else {
      l /= params_.repetition_penalty;
    }
    l -= static_cast<float>(count) * params_.frequency_penalty +
         params_.presence_penalty;
    counts_[t] = -count;
  }
  for (int j = 0; j < history_size_; ++j) {
    const int32_t t = history_[(history_begin_ + j) % capacity];
    if (counts_[t] < 0) counts_[t] = -counts_[t];
  }
}

int Sampler::TopPCount(int n, int sorted, float max_logit, double target) {
  Candidate* c = candidates_.data();
  auto weight = [&](int i) { return std::exp(c[i].logit - max_logit); };
  // Peaked distributions (the usual case) reach the mass within the first
  // few hundred tokens: sort just that prefix and walk it.
  if (sorted == 0) {
    sorted = std::min(n, kFirstSortChunk);
    std::partial_sort(c, c + sorted, c + n, kBefore);
  }
  double cum = 0.0;
  for (int i = 0; i < sorted; ++i) {
    cum += weight(i);
    if (cum >= target) return i + 1;
  }
  // Flat distributions: find the cut by quickselect on mass instead of
  // sorting the rest (O(n) expected rather than O(n log n)). Invariant: the
  // last kept index lies in [lo, hi) and `need` is the mass still needed
  // from c[lo] onwards in sorted order.
  double need = target - cum;
  int lo = sorted;
  int hi = n;
  while (hi - lo > 1) {
    const int mid = lo + (hi - lo - 1) / 2;
    std::nth_element(c + lo, c + mid, c + hi, kBefore);
    double mass = 0.0;
    for (int i = lo; i <= mid; ++i) mass += weight(i);
    if (mass >= need) {
      hi = mid + 1;
    } else {
      need -= mass;
      lo = mid + 1;
    }
  }
  return lo < hi ? lo + 1 : n;  // lo == hi: rounding left the mass short
}

double Sampler::NextUniform() {
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

int32_t Sampler::Sample(float* logits) {
  ApplyBias(logits);
  ApplyPenalties(logits);

  if (params_.temperature == 0.0f) {
    // Greedy: first maximum in id order (llama2.c run.c sample_argmax).
    int32_t best = kNoToken;
    float best_logit = -std::numeric_limits<float>::infinity();
    for (int i = 0; i < vocab_size_; ++i) {
      const float l = logits[i];
      if (l > best_logit) {  // false for NaN; +inf wins over finite
        best = i;
        best_logit = l;
      }
    }
    return best;
  }

  // Candidates: every token with a usable logit. NaN and -inf have no
  // probability; +inf is clamped so that exp(l - max) stays finite.
  int n = 0;
  for (int i = 0; i < vocab_size_; ++i) {
    const float l = logits[i];
    if (!(l > -HUGE_VALF)) continue;  // NaN or -inf
    candidates_[n++] = {std::min(l, FLT_MAX), i};
  }
  if (n == 0) return kNoToken;

  int sorted = 0;  // candidates_[0, sorted) are the top entries, in order

  if (params_.top_k > 0 && params_.top_k < n) {
    std::nth_element(candidates_.begin(), candidates_.begin() + params_.top_k,
                     candidates_.begin() + n, kBefore);
    n = params_.top_k;
    // nth_element leaves the k in an unspecified order; sorting them makes
    // the draw order (and so the token a given uniform picks) canonical.
    std::sort(candidates_.begin(), candidates_.begin() + n, kBefore);
    sorted = n;
  }

  auto max_logit = [&] {
    if (sorted > 0) return candidates_[0].logit;
    float m = candidates_[0].logit;
    for (int i = 1; i < n; ++i) m = std::max(m, candidates_[i].logit);
    return m;
  };

  if (params_.top_p < 1.0f) {
    const float m = max_logit();
    double z = 0.0;
    for (int i = 0; i < n; ++i) z += std::exp(candidates_[i].logit - m);
    n = TopPCount(n, sorted, m, static_cast<double>(params_.top_p) * z);
    // TopPCount sorted a prefix if none was; either way the front is sorted.
    sorted = std::min(n, sorted > 0 ? sorted : kFirstSortChunk);
  }

  if (params_.min_p > 0.0f) {
    // p_i >= min_p * p_max  <=>  l_i >= l_max + log(min_p) (the softmax
    // normalizer cancels), as in llama.cpp's llama_sampler_min_p_apply.
    const float threshold = max_logit() + std::log(params_.min_p);
    int kept = 0;
    for (int i = 0; i < n; ++i) {
      if (candidates_[i].logit >= threshold)
        candidates_[kept++] = candidates_[i];
    }
    n = kept;                      // the maximum always passes, so n >= 1
    sorted = std::min(sorted, n);  // compaction kept the prefix's order
  }

  // Temperature, softmax (unnormalized: the draw scales by the sum instead),
  // draw.
  const float m = max_logit();
  // Divide rather than multiply by 1/t: a denormal t would make 1/t infinite
  // and 0 * inf NaN for the top token.
  const float t = params_.temperature;
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    weights_[i] = std::exp((candidates_[i].logit - m) / t);
    sum += weights_[i];
  }
  const double r = NextUniform() * sum;
  double cum = 0.0;
  int32_t last_positive = candidates_[0].id;
  for (int i = 0; i < n; ++i) {
    if (weights_[i] <= 0.0f) continue;
    last_positive = candidates_[i].id;
    cum += weights_[i];
    if (r < cum) return candidates_[i].id;
  }
  return last_positive;  // r landed past the sum by rounding
}

}  // namespace edgellm::engine
