#include "runtime/tokenizer/bpe.h"

#include <queue>

#include "runtime/tokenizer/unicode.h"

namespace edgellm::tokenizer {
namespace {

struct Symbol {
  int prev;
  int next;
  size_t start;  // into the byte-encoded word
  size_t len;    // 0 once merged into its left neighbour
  TokenId id;    // token of the symbol's text, or kNoToken
};

struct Bigram {
  int32_t rank;
  int left;
  int right;
  size_t left_len;  // lengths when queued: a change means a stale entry
  size_t right_len;
  TokenId result;
};

// Lowest rank first; on equal ranks the leftmost pair.
struct BigramGreater {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

BpeModel::BpeModel(const TokenIndex* index,
                   const std::vector<std::string>& merges)
    : index_(index) {
  by_ids_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& m = merges[rank];
    const size_t space = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
    if (space == std::string::npos) continue;
    const std::string_view a = std::string_view(m).substr(0, space);
    const std::string_view b = std::string_view(m).substr(space + 1);
    const TokenId a_id = index->Find(a);
    const TokenId b_id = index->Find(b);
    const Merge merge{static_cast<int32_t>(rank),
                      index->Find(std::string(a) + std::string(b))};
    if (a_id != kNoToken && b_id != kNoToken) {
      by_ids_.emplace(Key(a_id, b_id), merge);
    } else {
      std::string key(a);
      key.push_back('\0');
      key.append(b);
      by_text_.emplace(std::move(key), merge);
    }
  }
  for (int b = 0; b < 256; ++b) {
    byte_tokens_[b] = index->Find(ByteToUnicode(static_cast<uint8_t>(b)));
  }
}

int32_t BpeModel::FindMerge(TokenId a_id, std::string_view a, TokenId b_id,
                            std::string_view b, TokenId* result) const {
  if (a_id != kNoToken && b_id != kNoToken) {
    auto it = by_ids_.find(Key(a_id, b_id));
    if (it == by_ids_.end()) return -1;
    *result = it->second.result;
    return it->second.rank;
  }
  if (by_text_.empty()) return -1;
  std::string key(a);
  key.push_back('\0');
  key.append(b);
  auto it = by_text_.find(key);
  if (it == by_text_.end()) return -1;
  *result = it->second.result;
  return it->second.rank;
}

void BpeModel::EncodeWord(std::string_view word, bool ignore_merges,
                          std::vector<TokenId>* out) const {
  if (word.empty()) return;
  // The byte-level text: each byte as its GPT-2 character.
  std::string encoded;
  encoded.reserve(word.size() * 2);
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    const uint8_t byte = static_cast<uint8_t>(word[i]);
    const std::string_view ch = ByteToUnicode(byte);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, i + 1 == word.size() ? -1 : index + 1,
                       encoded.size(), ch.size(), byte_tokens_[byte]});
    encoded.append(ch);
  }
  const std::string_view text = encoded;

  if (ignore_merges) {
    const TokenId whole = index_->Find(text);
    if (whole != kNoToken) {
      out->push_back(whole);
      return;
    }
  }

  std::priority_queue<Bigram, std::vector<Bigram>, BigramGreater> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[left];
    const Symbol& r = symbols[right];
    TokenId result = kNoToken;
    const int32_t rank = FindMerge(l.id, text.substr(l.start, l.len), r.id,
                                   text.substr(r.start, r.len), &result);
    if (rank < 0) return;
    queue.push({rank, left, right, l.len, r.len, result});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[bigram.left];
    Symbol& right = symbols[bigram.right];
    if (left.len == 0 || right.len == 0 || left.len != bigram.left_len ||
        right.len != bigram.right_len) {
      continue;
    }
    left.len += right.len;
    left.id = bigram.result;
    right.len = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = bigram.left;
    try_add(left.prev, bigram.left);
    try_add(bigram.left, left.next);
  }

  for (int i = 0; i != -1; i = symbols[i].next) {
    const Symbol& s = symbols[i];
    if (s.id != kNoToken) {
      out->push_back(s.id);
      continue;
    }
    // Not a token: llama.cpp looks up each byte of the encoded text as a
    // one-byte token and drops the bytes that are not tokens.
    for (char c : text.substr(s.start, s.len)) {
      const TokenId id = index_->Find(std::string_view(&c, 1));
      if (id != kNoToken) out->push_back(id);
    }
  }
}

}  // namespace edgellm::tokenizer
