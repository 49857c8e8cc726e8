#include "runtime/tokenizer/spm.h"

#include <algorithm>
#include <queue>

#include "runtime/tokenizer/unicode.h"

namespace edgellm::tokenizer {
namespace {

struct Symbol {
  int prev;
  int next;
  size_t start;
  size_t len;  // 0 once merged into its left neighbour
};

struct Bigram {
  int left;
  int right;
  float score;
  size_t size;  // bytes of the pair when queued; detects stale entries
};

// Highest score first; on equal scores the leftmost pair.
struct BigramLess {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

void SpmTokenize(const SpmModel& model, std::string_view text,
                 std::vector<TokenId>* out) {
  if (text.empty()) return;
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const size_t len = std::min(
        Utf8LenFromLead(static_cast<uint8_t>(text[pos])), text.size() - pos);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back(
        {index - 1, pos + len == text.size() ? -1 : index + 1, pos, len});
    pos += len;
  }

  std::priority_queue<Bigram, std::vector<Bigram>, BigramLess> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const size_t size = symbols[left].len + symbols[right].len;
    const TokenId id =
        model.index->Find(text.substr(symbols[left].start, size));
    if (id == kNoToken || static_cast<size_t>(id) >= model.scores.size()) {
      return;
    }
    queue.push({left, right, model.scores[id], size});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[bigram.left];
    Symbol& right = symbols[bigram.right];
    if (left.len == 0 || right.len == 0 ||
        left.len + right.len != bigram.size) {
      continue;
    }
    left.len += right.len;
    right.len = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = bigram.left;
    try_add(left.prev, bigram.left);
    try_add(bigram.left, left.next);
  }

  for (int i = 0; i != -1; i = symbols[i].next) {
    const Symbol& s = symbols[i];
    const std::string_view piece = text.substr(s.start, s.len);
    const TokenId id = model.index->Find(piece);
    if (id != kNoToken) {
      out->push_back(id);
      continue;
    }
    // Merged symbols are always tokens, so this is one character that is
    // not in the vocabulary: its bytes.
    for (char c : piece) {
      const TokenId byte_id = model.byte_tokens[static_cast<uint8_t>(c)];
      if (byte_id != kNoToken) {
        out->push_back(byte_id);
      } else if (model.unk != kNoToken) {
        out->push_back(model.unk);
      }
    }
  }
}

}  // namespace edgellm::tokenizer
