#include "runtime/server/generate_options.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"

namespace edgellm::server {

absl::StatusOr<GenerateOptions> BuildGenerateOptions(
    const GenerationFields& f, int32_t default_max_tokens,
    const FieldPrefixes& names) {
  GenerateOptions o;
  SamplingParams& s = o.sampling;
  if (f.temperature) s.temperature = *f.temperature;
  if (f.top_k) {
    if (*f.top_k < 0 || *f.top_k > std::numeric_limits<int>::max()) {
      return absl::InvalidArgumentError(
          absl::StrCat(names.sampling, "top_k: ", *f.top_k,
                       " is out of range (0 disables)"));
    }
    s.top_k = static_cast<int>(*f.top_k);
  }
  if (f.top_p) s.top_p = *f.top_p;
  if (f.min_p) s.min_p = *f.min_p;
  if (f.repetition_penalty) s.repetition_penalty = *f.repetition_penalty;
  if (f.presence_penalty) s.presence_penalty = *f.presence_penalty;
  if (f.frequency_penalty) s.frequency_penalty = *f.frequency_penalty;
  if (f.penalty_last_n) {
    if (*f.penalty_last_n < 0 ||
        *f.penalty_last_n > SamplingParams::kMaxPenaltyLastN) {
      return absl::InvalidArgumentError(absl::StrCat(
          names.sampling, "penalty_last_n: ", *f.penalty_last_n,
          " is outside [0, ", SamplingParams::kMaxPenaltyLastN, "]"));
    }
    s.penalty_last_n = static_cast<int>(*f.penalty_last_n);
  }
  if (f.seed) s.seed = *f.seed;
  if (f.logit_bias.size() > size_t{SamplingParams::kMaxLogitBias}) {
    return absl::InvalidArgumentError(
        absl::StrCat(names.sampling, "logit_bias: ", f.logit_bias.size(),
                     " entries; at most ", SamplingParams::kMaxLogitBias));
  }
  // Sorted by id so the sampler sees the same order on every call.
  s.logit_bias = f.logit_bias;
  std::stable_sort(
      s.logit_bias.begin(), s.logit_bias.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });

  const int64_t max_tokens = f.max_tokens.value_or(0);
  if (max_tokens < 0 || max_tokens > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat(names.limits, "max_tokens: ", max_tokens,
                     " is out of range (0 means the server default)"));
  }
  o.max_tokens =
      max_tokens > 0 ? static_cast<int32_t>(max_tokens) : default_max_tokens;
  if (f.stop.size() > size_t{RequestLimits::kMaxStopStrings}) {
    return absl::InvalidArgumentError(absl::StrCat(
        names.limits, "stop: ", f.stop.size(), " stop strings; at most ",
        RequestLimits::kMaxStopStrings));
  }
  o.stop = f.stop;
  o.ignore_eos = f.ignore_eos;
  o.prefix_cache = f.prefix_cache;
  return o;
}

}  // namespace edgellm::server
