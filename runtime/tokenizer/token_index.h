// Text -> id look-up over a vocabulary (internal to runtime/tokenizer).
#ifndef EDGELLM_RUNTIME_TOKENIZER_TOKEN_INDEX_H_
#define EDGELLM_RUNTIME_TOKENIZER_TOKEN_INDEX_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::tokenizer {

// Keys are views into `tokens`, which must outlive the index and not change.
// A duplicated text maps to its first id.
class TokenIndex {
 public:
  explicit TokenIndex(const std::vector<std::string>& tokens);

  TokenId Find(std::string_view text) const {
    auto it = map_.find(text);
    return it == map_.end() ? kNoToken : it->second;
  }
  size_t max_token_length() const { return max_len_; }

 private:
  absl::flat_hash_map<std::string_view, TokenId> map_;
  size_t max_len_ = 0;
};

}  // namespace edgellm::tokenizer

#endif  // EDGELLM_RUNTIME_TOKENIZER_TOKEN_INDEX_H_
