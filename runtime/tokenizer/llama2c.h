// llama2.c's tokenizer.bin and run.c's encoder (internal to
// runtime/tokenizer; reached through Tokenizer::FromLlama2cBuffer / Load).
//
// Format (run.c build_tokenizer): int32 max_token_length, then per token:
// float32 score, int32 byte length, the bytes (no NUL). Little-endian.
// Ids 0/1/2 are <unk>/BOS/EOS; pieces "<0xNN>" are byte fallbacks.
#ifndef EDGELLM_RUNTIME_TOKENIZER_LLAMA2C_H_
#define EDGELLM_RUNTIME_TOKENIZER_LLAMA2C_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/tokenizer/token_index.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::tokenizer {

// True if `bytes` (a file's beginning) looks like a tokenizer.bin: a small
// positive max_token_length followed by a plausible first entry.
bool LooksLikeLlama2cTokenizer(std::string_view bytes);

class Llama2cTokenizer final : public Tokenizer {
 public:
  static absl::StatusOr<std::unique_ptr<Llama2cTokenizer>> Parse(
      std::string_view bytes, int32_t vocab_size);

  // run.c encode(): BOS if add_special; a " " dummy prefix for non-empty
  // text; UTF-8 code points (byte fallback id = byte + 3 for code points not
  // in the vocabulary); then repeatedly merge the adjacent pair whose
  // concatenation has the highest score (first such pair on ties).
  // parse_special is ignored: run.c has no special-token text.
  std::vector<TokenId> Encode(std::string_view text,
                              const EncodeOptions& options) const override;
  TokenizerKind kind() const override { return TokenizerKind::kLlama2c; }
  int32_t vocab_size() const override {
    return static_cast<int32_t>(tokens_.size());
  }
  std::string_view TokenText(TokenId id) const override;
  TokenType token_type(TokenId id) const override;
  std::string TokenPiece(TokenId id, bool render_special) const override;

  int32_t max_token_length() const { return max_token_length_; }

 private:
  Llama2cTokenizer() = default;

  std::vector<std::string> tokens_;
  std::vector<float> scores_;
  std::vector<TokenType> types_;
  std::unique_ptr<TokenIndex> index_;
  int32_t max_token_length_ = 0;
};

}  // namespace edgellm::tokenizer

#endif  // EDGELLM_RUNTIME_TOKENIZER_LLAMA2C_H_
