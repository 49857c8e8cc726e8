#include "runtime/tokenizer/bpe.h"

#include <algorithm>

#include "runtime/tokenizer/unicode.h"

namespace edgellm::tokenizer {
namespace {

struct Symbol {
  int prev;
  int next;
  size_t start;  // into the raw word
  size_t len;    // bytes; 0 once merged into its left neighbour
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

namespace {

// Reused across words: no allocation per word in steady state.
struct Scratch {
  std::vector<Symbol> symbols;
  std::vector<Bigram> heap;
};

// The GPT-2 characters of raw bytes.
std::string EncodeBytes(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() * 2);
  for (char c : raw) out.append(ByteToUnicode(static_cast<uint8_t>(c)));
  return out;
}

}  // namespace

void BpeModel::EncodeWord(std::string_view word, bool ignore_merges,
                          std::vector<TokenId>* out) const {
  if (word.empty()) return;
  if (ignore_merges) {
    const TokenId whole = index_->Find(EncodeBytes(word));
    if (whole != kNoToken) {
      out->push_back(whole);
      return;
    }
  }
  if (word.size() == 1 &&
      byte_tokens_[static_cast<uint8_t>(word[0])] != kNoToken) {
    out->push_back(byte_tokens_[static_cast<uint8_t>(word[0])]);
    return;
  }
  thread_local Scratch scratch;
  // Symbols are ranges of the raw word; one per byte to start with (each
  // byte is one GPT-2 character).
  std::vector<Symbol>& symbols = scratch.symbols;
  symbols.clear();
  for (size_t i = 0; i < word.size(); ++i) {
    const int index = static_cast<int>(i);
    symbols.push_back({index - 1, i + 1 == word.size() ? -1 : index + 1, i, 1,
                       byte_tokens_[static_cast<uint8_t>(word[i])]});
  }

  std::vector<Bigram>& heap = scratch.heap;
  heap.clear();
  const BigramGreater greater;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[left];
    const Symbol& r = symbols[right];
    TokenId result = kNoToken;
    int32_t rank;
    if (l.id != kNoToken && r.id != kNoToken) {
      auto it = by_ids_.find(Key(l.id, r.id));
      if (it == by_ids_.end()) return;
      rank = it->second.rank;
      result = it->second.result;
    } else {
      if (by_text_.empty()) return;
      rank = FindMerge(l.id, EncodeBytes(word.substr(l.start, l.len)), r.id,
                       EncodeBytes(word.substr(r.start, r.len)), &result);
      if (rank < 0) return;
    }
    heap.push_back({rank, left, right, l.len, r.len, result});
    std::push_heap(heap.begin(), heap.end(), greater);
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add(i - 1, i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), greater);
    const Bigram bigram = heap.back();
    heap.pop_back();
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
    for (char c : EncodeBytes(word.substr(s.start, s.len))) {
      const TokenId id = index_->Find(std::string_view(&c, 1));
      if (id != kNoToken) out->push_back(id);
    }
  }
}

}  // namespace edgellm::tokenizer
