// The plain parts of the public API (runtime/engine/edgellm.h): names,
// validation and the two thread-safe handles. The Engine itself is in
// edgellm.cc.
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/engine/edgellm.h"

namespace edgellm {
namespace {

absl::Status FieldError(absl::string_view field, absl::string_view rule,
                        double got) {
  return absl::InvalidArgumentError(
      absl::StrCat("sampling.", field, ": must be ", rule, ", got ", got));
}

}  // namespace

std::string_view FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kNone:
      return "none";
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kContextFull:
      return "context_full";
    case FinishReason::kEndOfGeneration:
      return "end_of_generation";
    case FinishReason::kCancelled:
      return "cancelled";
    case FinishReason::kToolCalls:
      return "tool_calls";
  }
  return "unknown";
}

std::string_view PoolingName(Pooling pooling) {
  switch (pooling) {
    case Pooling::kDefault:
      return "default";
    case Pooling::kMean:
      return "mean";
    case Pooling::kLastToken:
      return "last";
    case Pooling::kCls:
      return "cls";
  }
  return "unknown";
}

absl::Status SamplingParams::Validate(int vocab_size) const {
  if (vocab_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("vocab_size must be >= 1, got ", vocab_size));
  }
  // Comparisons are written so that NaN fails them.
  if (!(std::isfinite(temperature) && temperature >= 0.0f)) {
    return FieldError("temperature", "finite and >= 0", temperature);
  }
  if (top_k < 0) return FieldError("top_k", ">= 0 (0 disables)", top_k);
  if (!(top_p > 0.0f && top_p <= 1.0f)) {
    return FieldError("top_p", "in (0, 1] (1 disables)", top_p);
  }
  if (!(min_p >= 0.0f && min_p <= 1.0f)) {
    return FieldError("min_p", "in [0, 1] (0 disables)", min_p);
  }
  if (!(repetition_penalty > 0.0f &&
        repetition_penalty <= kMaxRepetitionPenalty)) {
    return FieldError(
        "repetition_penalty",
        absl::StrCat("in (0, ", kMaxRepetitionPenalty, "] (1 disables)"),
        repetition_penalty);
  }
  const std::string additive_range = absl::StrCat(
      "in [", -kMaxAdditivePenalty, ", ", kMaxAdditivePenalty, "]");
  if (!(std::abs(presence_penalty) <= kMaxAdditivePenalty)) {
    return FieldError("presence_penalty", additive_range, presence_penalty);
  }
  if (!(std::abs(frequency_penalty) <= kMaxAdditivePenalty)) {
    return FieldError("frequency_penalty", additive_range, frequency_penalty);
  }
  if (penalty_last_n < 0 || penalty_last_n > kMaxPenaltyLastN) {
    return FieldError("penalty_last_n",
                      absl::StrCat("in [0, ", kMaxPenaltyLastN, "]"),
                      penalty_last_n);
  }
  if (logit_bias.size() > static_cast<size_t>(kMaxLogitBias)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling.logit_bias: ", logit_bias.size(),
                     " entries; at most ", kMaxLogitBias));
  }
  for (size_t i = 0; i < logit_bias.size(); ++i) {
    const auto& [id, bias] = logit_bias[i];
    if (id < 0 || id >= vocab_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("sampling.logit_bias[", i, "]: token id ", id,
                       " is outside the vocabulary [0, ", vocab_size, ")"));
    }
    if (std::isnan(bias)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sampling.logit_bias[", i, "]: the bias of token ", id, " is NaN"));
    }
  }
  return absl::OkStatus();
}

double RequestStats::tokens_per_second() const {
  const double s = absl::ToDoubleSeconds(decode_time);
  return s > 0 && generated_tokens > 1 ? (generated_tokens - 1) / s : 0.0;
}

double RequestStats::prompt_tokens_per_second() const {
  const double s = absl::ToDoubleSeconds(time_to_first_token - queue_time);
  return s > 0 && generated_tokens > 0 ? prompt_tokens / s : 0.0;
}

void GenerationStream::Push(StreamEvent event) {
  absl::MutexLock lock(&mu_);
  if (event.final) {
    final_.emplace(std::move(event));
  } else {
    events_.push_back(std::move(event));
  }
}

std::optional<StreamEvent> GenerationStream::Next(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  if (final_taken_) return std::nullopt;
  const auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !events_.empty() || final_.has_value();
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (!events_.empty()) {
    StreamEvent event = std::move(events_.front());
    events_.pop_front();
    return event;
  }
  if (!final_.has_value()) return std::nullopt;
  final_taken_ = true;
  std::optional<StreamEvent> event = std::move(final_);
  final_.reset();
  return event;
}

void EmbedCall::Finish(EmbedResult result) {
  absl::MutexLock lock(&mu_);
  result_ = std::move(result);
}

std::optional<EmbedResult> EmbedCall::Wait(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  if (taken_) return std::nullopt;
  const auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return result_.has_value();
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  if (!result_.has_value()) return std::nullopt;
  taken_ = true;
  std::optional<EmbedResult> out = std::move(result_);
  result_.reset();
  return out;
}

}  // namespace edgellm
