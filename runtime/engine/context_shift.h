// Context shift (EngineOptions::context_shift, serve --context-shift N): what
// a sequence that outgrows the context keeps, following llama.cpp's server:
//
//   n_keep     the first N tokens after a leading BOS (kept too), at most
//              context - 4;
//   a prompt of at least `context` tokens: with n_left = context - n_keep
//              and half = n_left / 2, drops (n_prompt - n_keep - half) /
//              half whole halves after the kept start, so the rest (between
//              half and 2 x half tokens) fits;
//   a generation that fills the context (n_past = context tokens): drops
//              n_discard = (n_past - n_keep) / 2 tokens after the kept start
//              and continues after the rest.
//
// llama.cpp moves the kept tail's cached keys to their new positions by
// rotating them again (RoPE of the position difference), which keeps keys
// and values computed while the dropped tokens were still there. We
// recompute instead: the shifted token sequence is prefilled again (its
// kept start from the prefix cache when the cache is paged), so what
// follows a shift is exactly what a cold run on the shifted sequence gives,
// at the cost of one prefill of about half a context per shift.
#ifndef EDGELLM_RUNTIME_ENGINE_CONTEXT_SHIFT_H_
#define EDGELLM_RUNTIME_ENGINE_CONTEXT_SHIFT_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace edgellm::engine {

// Off: a prompt that does not fit fails with INVALID_ARGUMENT, a generation
// that fills the context ends (FinishReason::kContextFull).
inline constexpr int32_t kNoContextShift = -1;

// n_keep for `tokens` (a prompt or the whole sequence), `keep` >= 0 the
// option, `bos` the model's BOS id (-1: none).
int32_t ContextShiftKeep(absl::Span<const int32_t> tokens, int32_t keep,
                         int32_t bos, int32_t context);

// Shortens a prompt of at least `context` tokens (context >= 5) as above;
// returns the tokens dropped (0 when it already fits).
int32_t TruncatePromptForContext(std::vector<int32_t>& prompt, int32_t n_keep,
                                 int32_t context);

// Drops n_discard = (size - n_keep) / 2 tokens after the first n_keep of a
// full sequence; returns n_discard.
int32_t ShiftHistory(std::vector<int32_t>& tokens, int32_t n_keep);

}  // namespace edgellm::engine

#endif  // EDGELLM_RUNTIME_ENGINE_CONTEXT_SHIFT_H_
