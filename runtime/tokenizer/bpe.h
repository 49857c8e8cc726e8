// Byte-level BPE by merge rank, as llama.cpp's llm_tokenizer_bpe_session
// runs it on each pre-tokenized word (internal to runtime/tokenizer).
#ifndef EDGELLM_RUNTIME_TOKENIZER_BPE_H_
#define EDGELLM_RUNTIME_TOKENIZER_BPE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "runtime/tokenizer/token_index.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::tokenizer {

class BpeModel {
 public:
  // `merges` are "left right" strings (split at the first space after the
  // first byte, as llama.cpp does); rank = position, first occurrence wins.
  // `index` must outlive the model.
  BpeModel(const TokenIndex* index, const std::vector<std::string>& merges);

  // Appends the tokens of one pre-tokenized word (raw bytes; each byte is
  // first mapped to its GPT-2 character). With `ignore_merges` (Llama 3) a
  // word that is itself a token is emitted whole.
  void EncodeWord(std::string_view word, bool ignore_merges,
                  std::vector<TokenId>* out) const;

 private:
  struct Merge {
    int32_t rank;
    TokenId result;  // token of the concatenation, or kNoToken
  };
  static uint64_t Key(TokenId a, TokenId b) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) |
           static_cast<uint32_t>(b);
  }
  // Rank of merging texts a and b, or -1; `result` gets the merged token.
  int32_t FindMerge(TokenId a_id, std::string_view a, TokenId b_id,
                    std::string_view b, TokenId* result) const;

  const TokenIndex* index_;
  // Merges whose two parts are tokens, keyed by the parts' ids (fast path).
  absl::flat_hash_map<uint64_t, Merge> by_ids_;
  // Merges with a part that is not a token (rare), keyed by text.
  absl::flat_hash_map<std::string, Merge> by_text_;  // key: a + '\0' + b
  std::array<TokenId, 256> byte_tokens_;
};

}  // namespace edgellm::tokenizer

#endif  // EDGELLM_RUNTIME_TOKENIZER_BPE_H_
