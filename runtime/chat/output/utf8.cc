#include "runtime/chat/output/utf8.h"

#include <cstdint>

namespace edgellm::chat::output::internal {
namespace {

// The sequence length a lead byte announces; 0 for a continuation byte or
// a byte that never starts a sequence.
int SequenceLength(uint8_t b) {
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return 2;
  if (b >= 0xE0 && b <= 0xEF) return 3;
  if (b >= 0xF0 && b <= 0xF4) return 4;
  return 0;
}

bool IsContinuation(uint8_t b) { return (b & 0xC0) == 0x80; }

}  // namespace

size_t CompleteUtf8Prefix(std::string_view s) {
  const size_t n = s.size();
  // A sequence is at most 4 bytes, so only the last 3 can be an incomplete
  // one's lead and continuations.
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const uint8_t b = static_cast<uint8_t>(s[n - back]);
    if (IsContinuation(b)) continue;
    const int len = SequenceLength(b);
    if (len > static_cast<int>(back)) return n - back;
    return n;
  }
  return n;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t b = static_cast<uint8_t>(s[i]);
    const int len = SequenceLength(b);
    if (len == 0 || i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      if (!IsContinuation(static_cast<uint8_t>(s[i + k]))) return false;
    }
    if (len >= 3) {
      const uint8_t b1 = static_cast<uint8_t>(s[i + 1]);
      // Overlong 3/4-byte forms, UTF-16 surrogates, values above U+10FFFF.
      if (b == 0xE0 && b1 < 0xA0) return false;
      if (b == 0xED && b1 >= 0xA0) return false;
      if (b == 0xF0 && b1 < 0x90) return false;
      if (b == 0xF4 && b1 >= 0x90) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace edgellm::chat::output::internal
