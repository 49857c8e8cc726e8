// SentencePiece BPE by piece scores, as llama.cpp's llm_tokenizer_spm_session
// runs it (internal to runtime/tokenizer).
#ifndef EDGELLM_RUNTIME_TOKENIZER_SPM_H_
#define EDGELLM_RUNTIME_TOKENIZER_SPM_H_

#include <array>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "runtime/tokenizer/token_index.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::tokenizer {

struct SpmModel {
  const TokenIndex* index = nullptr;
  absl::Span<const float> scores;
  // Token for each byte: "<0xXX>", else the one-byte text, else kNoToken.
  std::array<TokenId, 256> byte_tokens;
  TokenId unk = kNoToken;
};

// Appends the tokens of `text`, whose spaces are already escaped to U+2581.
// The text is split into UTF-8 characters (by lead byte, as llama.cpp does,
// so invalid bytes become single symbols); then, repeatedly, the adjacent
// pair whose concatenation is the highest-scoring token is merged (ties: the
// leftmost pair). Symbols that are not tokens fall back to byte tokens (to
// `unk` if a byte token is missing).
void SpmTokenize(const SpmModel& model, std::string_view text,
                 std::vector<TokenId>* out);

}  // namespace edgellm::tokenizer

#endif  // EDGELLM_RUNTIME_TOKENIZER_SPM_H_
