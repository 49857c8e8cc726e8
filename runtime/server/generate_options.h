// The request mapping both protocols share: the sampling and limit fields a
// client may set (gRPC's SamplingParams/GenerationLimits, the OpenAI JSON
// body's temperature, top_p, max_tokens, stop, ...) become the engine's
// GenerateOptions here, with one set of defaults and checks. Each adapter
// only copies its wire fields into GenerationFields.
#ifndef EDGELLM_RUNTIME_SERVER_GENERATE_OPTIONS_H_
#define EDGELLM_RUNTIME_SERVER_GENERATE_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/engine/edgellm.h"

namespace edgellm::server {

// What a request asked for; unset fields keep the engine's defaults
// (SamplingParams in edgellm.h).
struct GenerationFields {
  std::optional<float> temperature;
  std::optional<int64_t> top_k;
  std::optional<float> top_p;
  std::optional<float> min_p;
  std::optional<float> repetition_penalty;
  std::optional<float> presence_penalty;
  std::optional<float> frequency_penalty;
  std::optional<int64_t> penalty_last_n;
  std::optional<uint64_t> seed;
  // Token id -> bias, in any order; repeated ids add up.
  std::vector<std::pair<int32_t, float>> logit_bias;
  // Unset or 0 = the server's default.
  std::optional<int64_t> max_tokens;
  std::vector<std::string> stop;
  bool ignore_eos = false;
  // false: no prefix caching for this request (gRPC and llama.cpp's
  // `cache_prompt`).
  bool prefix_cache = true;
};

// How the fields are named in the protocol's errors: gRPC nests them
// ("sampling.top_k", "limits.max_tokens"); the OpenAI body does not.
struct FieldPrefixes {
  std::string sampling;  // "sampling." or ""
  std::string limits;    // "limits." or ""
};

// The engine's options for `fields`. INVALID_ARGUMENT naming the field for
// what the engine's own validation does not cover (a negative top_k or
// max_tokens, too many stop strings or logit biases before anything is
// copied); the engine checks the ranges when the request is submitted,
// naming "sampling.<field>" or "limits.<field>".
absl::StatusOr<GenerateOptions> BuildGenerateOptions(
    const GenerationFields& fields, int32_t default_max_tokens,
    const FieldPrefixes& names);

}  // namespace edgellm::server

#endif  // EDGELLM_RUNTIME_SERVER_GENERATE_OPTIONS_H_
