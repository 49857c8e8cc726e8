// UTF-8 helpers shared by the tokenizers (internal to runtime/tokenizer).
//
// Facts from RFC 3629 (UTF-8) and from GPT-2's byte-level encoding
// (openai/gpt-2 encoder.py `bytes_to_unicode`, as llama.cpp's unicode.cpp
// reproduces it).
#ifndef EDGELLM_RUNTIME_TOKENIZER_UNICODE_H_
#define EDGELLM_RUNTIME_TOKENIZER_UNICODE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgellm::tokenizer {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Length of the UTF-8 sequence announced by `lead`, as llama.cpp's
// unicode_len_utf8 computes it from the high nibble (1 for continuation and
// invalid bytes, so a scan always advances).
inline size_t Utf8LenFromLead(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1,
                                       1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

// Result of looking at the start of a byte string as UTF-8.
enum class Utf8Status { kValid, kIncomplete, kInvalid };

// Checks the sequence at s[0..]: kValid with *len set to its length,
// kIncomplete if s is a valid but truncated prefix of a sequence, or kInvalid
// (then *len = 1: the first byte is bad). Strict RFC 3629: no overlongs,
// surrogates or code points above U+10FFFF. `s` must be non-empty.
Utf8Status CheckUtf8(std::string_view s, size_t* len, uint32_t* cp);

// True if the whole string is valid UTF-8.
bool IsValidUtf8(std::string_view s);

// Copy of `s` in which every byte that does not start a valid sequence is
// replaced by U+FFFD (one replacement per bad byte, like llama.cpp's
// unicode_cpts_from_utf8).
std::string SanitizeUtf8(std::string_view s);

void AppendUtf8(uint32_t cp, std::string* out);

// `s` with every occurrence of `from` (non-empty) replaced by `to`.
std::string ReplaceAll(std::string_view s, std::string_view from,
                       std::string_view to);

// GPT-2 byte-level encoding: every byte maps to one printable code point
// (printable Latin-1 bytes map to themselves, the rest to U+0100 + n).
// ByteToUnicode returns its UTF-8 (1 or 2 bytes).
std::string_view ByteToUnicode(uint8_t byte);
// Inverse: the byte for a code point of that alphabet, or -1.
int UnicodeToByte(uint32_t cp);

}  // namespace edgellm::tokenizer

#endif  // EDGELLM_RUNTIME_TOKENIZER_UNICODE_H_
