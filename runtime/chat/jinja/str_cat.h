// absl::StrCat for std::string_view arguments. Debian's abseil 20220623 has
// its own absl::string_view, which StrCat's AlphaNum does not accept from a
// std::string_view; Cat() converts those and forwards everything else.
#ifndef EDGELLM_RUNTIME_CHAT_JINJA_STR_CAT_H_
#define EDGELLM_RUNTIME_CHAT_JINJA_STR_CAT_H_

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace edgellm::chat::jinja {

inline absl::string_view Sv(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

template <typename T>
decltype(auto) CatArg(const T& v) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return Sv(v);
  } else {
    return (v);
  }
}

template <typename... Args>
std::string Cat(const Args&... args) {
  return absl::StrCat(CatArg(args)...);
}

template <typename... Args>
void CatAppend(std::string* out, const Args&... args) {
  absl::StrAppend(out, CatArg(args)...);
}

}  // namespace edgellm::chat::jinja

#endif  // EDGELLM_RUNTIME_CHAT_JINJA_STR_CAT_H_
