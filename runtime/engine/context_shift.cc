#include "runtime/engine/context_shift.h"

#include <algorithm>

namespace edgellm::engine {

int32_t ContextShiftKeep(absl::Span<const int32_t> tokens, int32_t keep,
                         int32_t bos, int32_t context) {
  const int64_t with_bos =
      int64_t{std::max(keep, 0)} +
      (!tokens.empty() && bos >= 0 && tokens[0] == bos ? 1 : 0);
  return static_cast<int32_t>(
      std::clamp<int64_t>(with_bos, 0, std::max(context - 4, 0)));
}

int32_t TruncatePromptForContext(std::vector<int32_t>& prompt, int32_t n_keep,
                                 int32_t context) {
  const int64_t n = static_cast<int64_t>(prompt.size());
  if (n < context) return 0;
  const int64_t half = (int64_t{context} - n_keep) / 2;
  if (half <= 0) return 0;
  const int64_t erased = (n - n_keep - half) / half;
  const int64_t drop = erased * half;
  prompt.erase(prompt.begin() + n_keep, prompt.begin() + n_keep + drop);
  return static_cast<int32_t>(drop);
}

int32_t ShiftHistory(std::vector<int32_t>& tokens, int32_t n_keep) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n_keep >= n) return 0;
  const int64_t discard = (n - n_keep) / 2;
  tokens.erase(tokens.begin() + n_keep, tokens.begin() + n_keep + discard);
  return static_cast<int32_t>(discard);
}

}  // namespace edgellm::engine
