#include "runtime/engine/sequence.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/engine/context_shift.h"

namespace edgellm::engine {

absl::Status ValidateGenerateRequest(absl::Span<const int32_t> prompt_ids,
                                     const GenerateOptions& options,
                                     int32_t vocab_size, int32_t context) {
  if (prompt_ids.empty()) {
    return absl::InvalidArgumentError(
        "prompt: empty (no tokens to start from; give text or enable BOS)");
  }
  if (static_cast<int64_t>(prompt_ids.size()) >= context) {
    return absl::InvalidArgumentError(absl::StrCat(
        "prompt: ", prompt_ids.size(), " tokens do not fit the context of ",
        context, " (leave room for at least one generated token)"));
  }
  for (size_t i = 0; i < prompt_ids.size(); ++i) {
    if (prompt_ids[i] < 0 || prompt_ids[i] >= vocab_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("prompt: token id ", prompt_ids[i], " at index ", i,
                       " is outside [0, ", vocab_size, ")"));
    }
  }
  if (options.max_tokens < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limits.max_tokens: ", options.max_tokens, " is negative"));
  }
  if (options.stop.size() > size_t{RequestLimits::kMaxStopStrings}) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limits.stop: ", options.stop.size(), " stop strings; at most ",
        RequestLimits::kMaxStopStrings));
  }
  for (size_t i = 0; i < options.stop.size(); ++i) {
    if (options.stop[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("limits.stop[", i, "]: empty"));
    }
    if (options.stop[i].size() > size_t{RequestLimits::kMaxStopStringBytes}) {
      return absl::InvalidArgumentError(
          absl::StrCat("limits.stop[", i, "]: ", options.stop[i].size(),
                       " bytes; at most ", RequestLimits::kMaxStopStringBytes));
    }
  }
  return options.sampling.Validate(vocab_size);
}

absl::StatusOr<std::unique_ptr<Sequence>> Sequence::Create(
    const tokenizer::Tokenizer& tokenizer, int32_t vocab_size, int32_t context,
    int32_t slot, std::vector<int32_t> prompt_ids,
    const GenerateOptions& options, TokenCallback callback,
    OutputOptions output) {
  if (absl::Status s =
          ValidateGenerateRequest(prompt_ids, options, vocab_size, context);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<Sampler> sampler =
      Sampler::Create(options.sampling, vocab_size);
  if (!sampler.ok()) return sampler.status();
  return std::unique_ptr<Sequence>(new Sequence(
      tokenizer, context, slot, std::move(prompt_ids), options,
      std::move(*sampler), std::move(callback), std::move(output)));
}

Sequence::Sequence(const tokenizer::Tokenizer& tokenizer, int32_t context,
                   int32_t slot, std::vector<int32_t> prompt_ids,
                   const GenerateOptions& options, Sampler sampler,
                   TokenCallback callback, OutputOptions output)
    : tokenizer_(tokenizer),
      context_(context),
      slot_(slot),
      prompt_ids_(std::move(prompt_ids)),
      options_(options),
      sampler_(std::move(sampler)),
      // Generated text continues the prompt, so a leading space is kept,
      // except right after a lone BOS where the reference decoders (run.c,
      // llama.cpp) drop it.
      decoder_(tokenizer,
               tokenizer::DecodeOptions{
                   .render_special = output.render_special,
                   .strip_leading_space =
                       prompt_ids_.size() == 1 &&
                       prompt_ids_[0] == tokenizer.special().bos}),
      stops_(options.stop),
      callback_(std::move(callback)),
      parser_(std::move(output.parser)) {
  stats_.start = absl::Now();
  stats_.prompt_tokens = static_cast<int32_t>(prompt_ids_.size());
  // Reserved up front so that the decode loop does not allocate per token
  // (text grows past this only for unusually long pieces). A sequence can
  // generate no more tokens than the context leaves after the prompt (plus
  // the one sampled at the last position), whatever max_tokens asks for.
  const size_t most = static_cast<size_t>(std::clamp<int64_t>(
      options.max_tokens, 0, context - int64_t(prompt_ids_.size()) + 1));
  output_ids_.reserve(most);
  text_.reserve(most * 8);
  // Penalties look back over the prompt too, as llama.cpp's do.
  for (int32_t id : prompt_ids_) sampler_.Accept(id);
  if (options_.max_tokens == 0) finish_ = FinishReason::kLength;
}

absl::Span<const int32_t> Sequence::NextTokens(int32_t max) const {
  if (finished()) return {};
  if (prefilling()) {
    const std::vector<int32_t>& feed = this->feed();
    const size_t n = std::min<size_t>(max, feed.size() - fed_);
    return absl::MakeConstSpan(feed.data() + fed_, n);
  }
  return absl::MakeConstSpan(&last_token_, 1);
}

void Sequence::MarkFed(int32_t n) {
  if (prefilling()) {
    if (shift_keep_ >= 0) {
      history_.insert(history_.end(), feed().begin() + fed_,
                      feed().begin() + fed_ + n);
    }
    fed_ += n;
  } else if (shift_keep_ >= 0) {
    history_.push_back(last_token_);
  }
  pos_ += n;
}

void Sequence::SkipCachedPrompt(int32_t n) {
  if (fed_ != 0 || n <= 0) return;
  n = std::min<int32_t>(n, static_cast<int32_t>(feed().size()) - 1);
  if (shift_keep_ >= 0) {
    history_.insert(history_.end(), feed().begin(), feed().begin() + n);
  }
  fed_ = n;
  pos_ = n;
}

void Sequence::EnableContextShift(int32_t keep) {
  // Only before anything was fed: the history starts at position 0.
  if (pos_ != 0 || keep < 0) return;
  shift_keep_ = keep;
  history_.reserve(context_);
}

void Sequence::Shift(int32_t token) {
  const int32_t kept = ContextShiftKeep(history_, shift_keep_,
                                        tokenizer_.special().bos, context_);
  shifted_out_ += ShiftHistory(history_, kept);
  ++context_shifts_;
  shifted_.assign(history_.begin(), history_.end());
  shifted_.push_back(token);
  shifted_active_ = true;
  shift_pending_ = true;
  history_.clear();
  fed_ = 0;
  pos_ = 0;
}

void Sequence::Emit(int32_t token, std::string_view text, bool last) {
  TokenEvent event;
  event.token = token;
  event.index = static_cast<int32_t>(output_ids_.size()) - 1;
  chat::output::OutputDelta delta;
  if (parser_.has_value()) {
    delta = parser_->Feed(text);
    if (last) {
      chat::output::OutputDelta rest = parser_->Finish();
      delta.content += rest.content;
      delta.reasoning += rest.reasoning;
      for (chat::output::ToolCall& c : rest.tool_calls) {
        delta.tool_calls.push_back(std::move(c));
      }
    }
    event_calls_.clear();
    for (chat::output::ToolCall& c : delta.tool_calls) {
      event_calls_.push_back({.index = c.index,
                              .id = std::move(c.id),
                              .name = std::move(c.name),
                              .arguments = std::move(c.arguments)});
    }
    text = delta.content;
    event.reasoning = delta.reasoning;
    event.tool_calls = event_calls_;
  }
  event.text = text;
  text_.append(text);
  if (callback_ && !callback_(event)) Finish(FinishReason::kCancelled);
}

int32_t Sequence::OnLogits(float* logits) {
  if (finished() || prefilling()) return -1;
  const int32_t token = sampler_.Sample(logits);
  if (token == Sampler::kNoToken) {
    // Every logit was NaN, -inf or banned: nothing can be sampled.
    Finish(FinishReason::kCancelled);
    return -1;
  }
  if (output_ids_.empty()) {
    first_token_time_ = absl::Now();
    stats_.prompt_time = first_token_time_ - stats_.start;
  }
  sampler_.Accept(token);
  last_token_ = token;
  const bool eog = !options_.ignore_eos && tokenizer_.IsEndOfGeneration(token);
  if (eog) {
    // The end-of-generation token is reported but not rendered as text.
    output_ids_.push_back(token);
    StopStringMatcher::Result rest = stops_.Flush();
    std::string tail = std::string(rest.text) + decoder_.Flush();
    Emit(token, tail, /*last=*/true);
    if (!finished()) Finish(FinishReason::kEndOfGeneration);
    return token;
  }
  output_ids_.push_back(token);
  const std::string piece = decoder_.Push(token);
  StopStringMatcher::Result released = stops_.Feed(piece);
  if (released.stopped) {
    Emit(token, released.text, /*last=*/true);
    if (!finished()) Finish(FinishReason::kStop);
    return token;
  }
  const bool at_length =
      static_cast<int32_t>(output_ids_.size()) >= options_.max_tokens;
  // The next position would be pos_; it must be inside the context.
  const bool at_context = pos_ >= context_;
  if (at_context && !at_length && shift_keep_ >= 0) {
    Shift(token);
    Emit(token, released.text, /*last=*/false);
    return token;
  }
  if (at_length || at_context) {
    std::string text(released.text);
    StopStringMatcher::Result rest = stops_.Flush();
    text.append(rest.text);
    text.append(decoder_.Flush());
    Emit(token, text, /*last=*/true);
    if (!finished()) {
      Finish(at_length ? FinishReason::kLength : FinishReason::kContextFull);
    }
    return token;
  }
  Emit(token, released.text, /*last=*/false);
  return token;
}

void Sequence::Cancel() {
  if (!finished()) Finish(FinishReason::kCancelled);
}

void Sequence::Finish(FinishReason reason) {
  // A turn that ends after tool calls asks for their results (OpenAI's
  // "tool_calls"); one cut short by a limit says so instead.
  const bool turn_ended =
      reason == FinishReason::kEndOfGeneration || reason == FinishReason::kStop;
  if (turn_ended && parser_.has_value() &&
      !parser_->parsed().tool_calls.empty()) {
    reason = FinishReason::kToolCalls;
  }
  finish_ = reason;
  stats_.generated_tokens = static_cast<int32_t>(output_ids_.size());
  if (!output_ids_.empty())
    stats_.decode_time = absl::Now() - first_token_time_;
}

}  // namespace edgellm::engine
