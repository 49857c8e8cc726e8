// Python's json.dumps over Values, byte for byte: the `tojson` filter of
// Hugging Face's environment is json.dumps(x, ensure_ascii=False, ...).
#ifndef EDGELLM_RUNTIME_CHAT_JINJA_PY_JSON_H_
#define EDGELLM_RUNTIME_CHAT_JINJA_PY_JSON_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/chat/jinja/value.h"

namespace edgellm::chat::jinja {

struct JsonDumpOptions {
  bool ensure_ascii = false;
  // Per-level indent string (an int n is n spaces); nullopt = one line.
  std::optional<std::string> indent;
  // Item and key separators; nullopt = Python's defaults for the indent.
  std::optional<std::string> item_separator;
  std::optional<std::string> key_separator;
  bool sort_keys = false;
};

// TypeError "Object of type X is not JSON serializable" for undefined
// values, generators and other objects, as Python's encoder reports.
absl::StatusOr<std::string> JsonDumps(const Value& v,
                                      const JsonDumpOptions& options,
                                      size_t max_bytes);

}  // namespace edgellm::chat::jinja

#endif  // EDGELLM_RUNTIME_CHAT_JINJA_PY_JSON_H_
