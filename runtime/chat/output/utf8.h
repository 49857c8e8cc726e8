// UTF-8 helpers for streaming text out in whole characters.
#ifndef EDGELLM_RUNTIME_CHAT_OUTPUT_UTF8_H_
#define EDGELLM_RUNTIME_CHAT_OUTPUT_UTF8_H_

#include <cstddef>
#include <string_view>

namespace edgellm::chat::output::internal {

// The length of the longest prefix of `s` that does not end inside an
// incomplete multi-byte sequence (one that more bytes could still complete).
// Invalid bytes are not held back: they can never become complete.
size_t CompleteUtf8Prefix(std::string_view s);

// Well-formed UTF-8 (RFC 3629: no overlongs, surrogates or values past
// U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace edgellm::chat::output::internal

#endif  // EDGELLM_RUNTIME_CHAT_OUTPUT_UTF8_H_
