// Small std::string_view helpers. (Debian's abseil is built with its own
// absl::string_view, so absl's string functions do not take std's.)
#ifndef EDGELLM_RUNTIME_CHAT_OUTPUT_TEXT_UTIL_H_
#define EDGELLM_RUNTIME_CHAT_OUTPUT_TEXT_UTIL_H_

#include <cstddef>
#include <string_view>

namespace edgellm::chat::output::internal {

// JSON's whitespace (RFC 8259), which is also what templates put around
// blocks.
inline bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

inline size_t LeadingSpace(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsSpace(s[n])) ++n;
  return n;
}

inline std::string_view TrimLeft(std::string_view s) {
  return s.substr(LeadingSpace(s));
}

inline std::string_view Trim(std::string_view s) {
  s = TrimLeft(s);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

inline bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

}  // namespace edgellm::chat::output::internal

#endif  // EDGELLM_RUNTIME_CHAT_OUTPUT_TEXT_UTIL_H_
