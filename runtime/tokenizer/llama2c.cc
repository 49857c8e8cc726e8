#include "runtime/tokenizer/llama2c.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgellm::tokenizer {
namespace {

// run.c hard-codes these ids.
constexpr TokenId kUnk = 0;
constexpr TokenId kBos = 1;
constexpr TokenId kEos = 2;
constexpr int kByteOffset = 3;  // run.c: byte fallback id = byte + 3

template <typename T>
T ReadLe(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // little-endian hosts (x86-64, arm64)
  return v;
}

bool IsBytePiece(std::string_view s, unsigned* value) {
  return s.size() == 6 && s.substr(0, 3) == "<0x" && s[5] == '>' &&
         std::sscanf(std::string(s).c_str(), "<0x%2X>", value) == 1;
}

}  // namespace

bool LooksLikeLlama2cTokenizer(std::string_view bytes) {
  if (bytes.size() < 12) return false;
  const int32_t max_len = ReadLe<int32_t>(bytes.data());
  const int32_t first_len = ReadLe<int32_t>(bytes.data() + 8);
  return max_len > 0 && max_len < 4096 && first_len >= 0 &&
         first_len <= max_len &&
         static_cast<size_t>(first_len) <= bytes.size() - 12;
}

absl::StatusOr<std::unique_ptr<Llama2cTokenizer>> Llama2cTokenizer::Parse(
    std::string_view bytes, int32_t vocab_size) {
  if (bytes.size() < 4) {
    return absl::InvalidArgumentError(
        "llama2.c tokenizer: file shorter than its 4-byte header");
  }
  std::unique_ptr<Llama2cTokenizer> tok(new Llama2cTokenizer);
  tok->max_token_length_ = ReadLe<int32_t>(bytes.data());
  if (tok->max_token_length_ <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("llama2.c tokenizer: max_token_length ",
                     tok->max_token_length_, " at offset 0 is not positive"));
  }
  size_t pos = 4;
  while (vocab_size > 0 ? static_cast<int32_t>(tok->tokens_.size()) < vocab_size
                        : pos < bytes.size()) {
    const size_t id = tok->tokens_.size();
    if (bytes.size() - pos < 8) {
      return absl::InvalidArgumentError(
          absl::StrCat("llama2.c tokenizer: truncated entry for token ", id,
                       " at offset ", pos));
    }
    const float score = ReadLe<float>(bytes.data() + pos);
    const int32_t len = ReadLe<int32_t>(bytes.data() + pos + 4);
    pos += 8;
    if (len < 0 || static_cast<size_t>(len) > bytes.size() - pos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "llama2.c tokenizer: token ", id, " has length ", len, " at offset ",
          pos - 4, ", beyond the end of the file (", bytes.size(), " bytes)"));
    }
    tok->tokens_.emplace_back(bytes.substr(pos, len));
    tok->scores_.push_back(score);
    pos += len;
  }
  // Encode falls back to id byte + 3 for any byte it has no token for (as
  // run.c does), so those ids must exist (the fuzzer found a 3-token file
  // whose encodings named ids up to 258).
  constexpr size_t kMinTokens = kByteOffset + 256;
  if (tok->tokens_.size() < kMinTokens) {
    return absl::InvalidArgumentError(absl::StrCat(
        "llama2.c tokenizer: only ", tok->tokens_.size(), " tokens; ids 0..2 ",
        "must be <unk>, BOS and EOS and 3..258 the byte-fallback tokens"));
  }
  for (size_t id = 0; id < tok->tokens_.size(); ++id) {
    unsigned value;
    TokenType type = TokenType::kNormal;
    if (id == kUnk) {
      type = TokenType::kUnknown;
    } else if (id == kBos || id == kEos) {
      type = TokenType::kControl;
    } else if (IsBytePiece(tok->tokens_[id], &value)) {
      type = TokenType::kByte;
    }
    tok->types_.push_back(type);
  }
  tok->index_ = std::make_unique<TokenIndex>(tok->tokens_);
  tok->special_.unk = kUnk;
  tok->special_.bos = kBos;
  tok->special_.eos = kEos;
  tok->add_bos_ = true;
  tok->add_space_prefix_ = true;
  tok->strips_leading_space_ = true;
  // run.c stops generating when it samples BOS; EOS ends text too.
  tok->eog_ = {kBos, kEos};
  return tok;
}

std::vector<TokenId> Llama2cTokenizer::Encode(
    std::string_view text, const EncodeOptions& options) const {
  std::vector<TokenId> ids;
  ids.reserve(text.size() + 3);
  if (options.add_special) ids.push_back(kBos);
  if (!text.empty()) {
    if (TokenId space = index_->Find(" "); space != kNoToken) {
      ids.push_back(space);
    }
  }
  // run.c groups a lead byte with up to 3 following continuation bytes.
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    size_t len = 1;
    while (i + len < n && len < 4 &&
           (static_cast<uint8_t>(text[i + len]) & 0xC0) == 0x80) {
      ++len;
    }
    const std::string_view cp = text.substr(i, len);
    if (TokenId id = index_->Find(cp); id != kNoToken) {
      ids.push_back(id);
    } else {
      for (char c : cp) {
        ids.push_back(static_cast<uint8_t>(c) + kByteOffset);
      }
    }
    i += len;
  }
  // run.c merges, again and again, the adjacent pair whose concatenation
  // has the highest score (strictly above -1e10; the leftmost on ties). A
  // heap with lazy deletion makes the same choices in O(n log n) instead of
  // run.c's O(n^2) rescans.
  struct Node {
    int prev, next;
    TokenId id;
  };
  struct Pair {
    float score;
    int left, right;
    TokenId left_id, right_id, merged;
  };
  auto worse = [](const Pair& a, const Pair& b) {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  };
  std::vector<Node> nodes(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    nodes[i] = {static_cast<int>(i) - 1,
                i + 1 < ids.size() ? static_cast<int>(i) + 1 : -1, ids[i]};
  }
  std::vector<Pair> heap;
  std::string pair;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    pair.assign(TokenText(nodes[left].id));
    pair.append(TokenText(nodes[right].id));
    const TokenId id = index_->Find(pair);
    if (id == kNoToken || !(scores_[id] > -1e10f)) return;
    heap.push_back(
        {scores_[id], left, right, nodes[left].id, nodes[right].id, id});
    std::push_heap(heap.begin(), heap.end(), worse);
  };
  for (size_t i = 0; i + 1 < nodes.size(); ++i) {
    try_add(static_cast<int>(i), static_cast<int>(i) + 1);
  }
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), worse);
    const Pair p = heap.back();
    heap.pop_back();
    Node& l = nodes[p.left];
    Node& r = nodes[p.right];
    if (l.id == kNoToken || r.id == kNoToken || l.next != p.right ||
        l.id != p.left_id || r.id != p.right_id) {
      continue;  // stale: a side has been merged since
    }
    l.id = p.merged;
    l.next = r.next;
    if (r.next >= 0) nodes[r.next].prev = p.left;
    r.id = kNoToken;
    try_add(l.prev, p.left);
    try_add(p.left, l.next);
  }
  ids.clear();
  for (int i = nodes.empty() ? -1 : 0; i != -1; i = nodes[i].next) {
    ids.push_back(nodes[i].id);
  }
  if (options.add_special && add_eos_) ids.push_back(kEos);
  return ids;
}

std::string_view Llama2cTokenizer::TokenText(TokenId id) const {
  if (id < 0 || id >= vocab_size()) return {};
  return tokens_[id];
}

TokenType Llama2cTokenizer::token_type(TokenId id) const {
  if (id < 0 || id >= vocab_size()) return TokenType::kUndefined;
  return types_[id];
}

std::string Llama2cTokenizer::TokenPiece(TokenId id,
                                         bool render_special) const {
  if (id < 0 || id >= vocab_size()) return {};
  switch (types_[id]) {
    case TokenType::kUnknown:
    case TokenType::kControl:
      return render_special ? tokens_[id] : std::string();
    case TokenType::kByte: {
      unsigned value = 0;
      IsBytePiece(tokens_[id], &value);
      return std::string(1, static_cast<char>(value));
    }
    default:
      return tokens_[id];
  }
}

}  // namespace edgellm::tokenizer
