// Debian's abseil 20220623 is built with its own absl::string_view
// (ABSL_OPTION_USE_STD_STRING_VIEW 0), which absl::StrCat and absl::Status
// do not accept from a std::string_view; Sv() bridges the two.
#ifndef EDGELLM_RUNTIME_GGUF_INTERNAL_SV_H_
#define EDGELLM_RUNTIME_GGUF_INTERNAL_SV_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace edgellm::gguf::internal {

inline absl::string_view Sv(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace edgellm::gguf::internal

#endif  // EDGELLM_RUNTIME_GGUF_INTERNAL_SV_H_
