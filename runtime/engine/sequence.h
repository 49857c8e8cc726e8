// One generation request as it moves through the decode loop: its prompt,
// position in its KV slot, sampler, UTF-8-safe detokenizer and stop strings.
//
// The loop that drives it (Engine::Generate for one sequence, the server's
// scheduler for many at once) asks NextTokens() what to feed, runs the
// transformer, and hands the logits of the last fed token to OnLogits(),
// which samples, emits text through the callback and decides whether the
// sequence is finished. Sequence knows nothing of batching.
//
// Not thread-safe; owned by the loop that drives it.
#ifndef EDGELLM_RUNTIME_ENGINE_SEQUENCE_H_
#define EDGELLM_RUNTIME_ENGINE_SEQUENCE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "runtime/chat/output/output_parser.h"
#include "runtime/engine/edgellm.h"
#include "runtime/engine/sampler.h"
#include "runtime/engine/stop_string_matcher.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::engine {

// The request types are part of the public API (runtime/engine/edgellm.h).
using ::edgellm::FinishReason;
using ::edgellm::FinishReasonName;
using ::edgellm::GenerateOptions;
using ::edgellm::TokenCallback;
using ::edgellm::TokenEvent;

// Checks a generation request against the model without allocating
// anything sized by it: a non-empty prompt that leaves room for one
// generated token in `context`, token ids in [0, vocab_size), max_tokens
// >= 0, the sampling values, and the stop strings (RequestLimits). The
// error is INVALID_ARGUMENT naming the field ("prompt", "max_tokens",
// "sampling.top_p", "limits.stop[1]").
absl::Status ValidateGenerateRequest(absl::Span<const int32_t> prompt_ids,
                                     const GenerateOptions& options,
                                     int32_t vocab_size, int32_t context);

// How a request's tokens become the text its callback gets. Generate
// requests take the defaults; Chat requests render control tokens (their
// markers carry tool calls and reasoning) and parse the reply.
struct OutputOptions {
  // Decode control tokens to their text ("[TOOL_CALLS]", "<|python_tag|>");
  // the end-of-generation token that ends the sequence never is.
  bool render_special = false;
  // Splits the text (after stop strings) into content, reasoning and tool
  // calls: TokenEvent::text is then content only. None: text as is.
  std::optional<chat::output::OutputParser> parser;
};

struct SequenceStats {
  absl::Time start;            // when the sequence was created
  absl::Duration prompt_time;  // start -> first token sampled
  absl::Duration decode_time;  // first token -> finish
  int32_t prompt_tokens = 0;
  int32_t generated_tokens = 0;
};

class Sequence {
 public:
  // Validates the request (ValidateGenerateRequest) and builds the
  // sequence. Buffers sized by max_tokens are sized by what the context can
  // hold after the prompt, whatever max_tokens says.
  static absl::StatusOr<std::unique_ptr<Sequence>> Create(
      const tokenizer::Tokenizer& tokenizer, int32_t vocab_size,
      int32_t context, int32_t slot, std::vector<int32_t> prompt_ids,
      const GenerateOptions& options, TokenCallback callback,
      OutputOptions output = {});

  int32_t slot() const { return slot_; }
  // Tokens fed so far (= the next position).
  int32_t pos() const { return pos_; }
  bool prefilling() const { return fed_ < feed().size(); }
  // What the sequence prefills: its prompt, or after a context shift the
  // shifted tokens (the kept start, the rest, the last sampled token).
  const std::vector<int32_t>& feed() const {
    return shifted_active_ ? shifted_ : prompt_ids_;
  }

  // Context shift (context_shift.h): when the context is full, keep the
  // first `keep` tokens (after a BOS) and the later half of the rest and
  // prefill them again from position 0 instead of finishing with
  // kContextFull. `keep` < 0: off.
  void EnableContextShift(int32_t keep);
  // True once after each shift: the driver restarts the slot's KV
  // sequence for feed() (the paged cache's tables) and may
  // SkipCachedPrompt what its prefix cache holds.
  bool TakeShift() {
    const bool s = shift_pending_;
    shift_pending_ = false;
    return s;
  }
  int32_t context_shifts() const { return context_shifts_; }
  int32_t shifted_out_tokens() const { return shifted_out_; }
  bool finished() const { return finish_ != FinishReason::kNone; }
  FinishReason finish_reason() const { return finish_; }

  // The next tokens to feed, at positions pos().. : up to `max` prompt
  // tokens while prefilling, else the last sampled token. MarkFed(n) records
  // that the first n of them were run.
  // The span stays valid until the next call on this sequence.
  absl::Span<const int32_t> NextTokens(int32_t max) const;
  void MarkFed(int32_t n);
  // The first n (< feed size) tokens to prefill are already in the KV
  // cache (a cached prefix): feeding starts at position n. Before any
  // feeding (of the prompt, or of a shift's tokens).
  void SkipCachedPrompt(int32_t n);

  // Samples from the logits of the last fed token and advances. Returns the
  // sampled token (or -1 once finished without one).
  int32_t OnLogits(float* logits);

  // Ends the sequence (client cancel, deadline, shutdown).
  void Cancel();

  const std::vector<int32_t>& prompt_ids() const { return prompt_ids_; }
  const std::vector<int32_t>& output_ids() const { return output_ids_; }
  // The generated text; with a parser, the content only.
  const std::string& text() const { return text_; }
  const SequenceStats& stats() const { return stats_; }

 private:
  Sequence(const tokenizer::Tokenizer& tokenizer, int32_t context, int32_t slot,
           std::vector<int32_t> prompt_ids, const GenerateOptions& options,
           Sampler sampler, TokenCallback callback, OutputOptions output);
  void Finish(FinishReason reason);
  // Hands `text` to the callback (through the parser, flushed when `last`:
  // no more text follows).
  void Emit(int32_t token, std::string_view text, bool last);

  const tokenizer::Tokenizer& tokenizer_;
  const int32_t context_;
  const int32_t slot_;
  const std::vector<int32_t> prompt_ids_;
  const GenerateOptions options_;
  Sampler sampler_;
  tokenizer::StreamDecoder decoder_;
  StopStringMatcher stops_;
  TokenCallback callback_;
  std::optional<chat::output::OutputParser> parser_;
  std::vector<ToolCall> event_calls_;  // the calls of the event being emitted
  size_t fed_ = 0;
  int32_t pos_ = 0;
  // Context shift: the kept count (< 0 off), the tokens at positions
  // 0..pos_-1 (kept only when on), the tokens to prefill after a shift.
  int32_t shift_keep_ = -1;
  std::vector<int32_t> history_;
  std::vector<int32_t> shifted_;
  bool shifted_active_ = false;
  bool shift_pending_ = false;
  int32_t context_shifts_ = 0;
  int32_t shifted_out_ = 0;
  // Drops the oldest half after the kept start and prefills the rest and
  // `token` again.
  void Shift(int32_t token);
  int32_t last_token_ = -1;
  std::vector<int32_t> output_ids_;
  std::string text_;
  FinishReason finish_ = FinishReason::kNone;
  SequenceStats stats_;
  absl::Time first_token_time_;
};

}  // namespace edgellm::engine

#endif  // EDGELLM_RUNTIME_ENGINE_SEQUENCE_H_
