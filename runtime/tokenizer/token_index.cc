#include "runtime/tokenizer/token_index.h"

#include <algorithm>

namespace edgellm::tokenizer {

TokenIndex::TokenIndex(const std::vector<std::string>& tokens) {
  map_.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    map_.emplace(tokens[i], static_cast<TokenId>(i));
    max_len_ = std::max(max_len_, tokens[i].size());
  }
}

}  // namespace edgellm::tokenizer
