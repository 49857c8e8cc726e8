// The parameter types of the request's tools, for formats that write
// argument values as bare text (`<parameter=days>3</parameter>`): a "string"
// parameter keeps the text, any other is read as JSON or a Python literal.
#ifndef EDGELLM_RUNTIME_CHAT_OUTPUT_TOOL_SCHEMA_H_
#define EDGELLM_RUNTIME_CHAT_OUTPUT_TOOL_SCHEMA_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace edgellm::chat::output::internal {

class ToolSchemas {
 public:
  // An OpenAI tools array: [{"type": "function", "function": {"name",
  // "parameters": {"properties": {P: {"type": T}}}}}] (a bare function
  // object per entry is accepted too). "" is no tools. Entries without a
  // name or properties are skipped; anything but a JSON array is an error.
  static absl::StatusOr<ToolSchemas> FromJson(std::string_view tools_json);

  // The JSON-schema type of a parameter ("string", "integer", ...), or ""
  // when unknown. A list of types containing "string" is "string".
  std::string_view ParameterType(std::string_view tool,
                                 std::string_view parameter) const;

 private:
  using ParameterTypes = std::map<std::string, std::string, std::less<>>;
  std::map<std::string, ParameterTypes, std::less<>> types_;
};

// A parameter value written as text, typed by `type` (see ParameterType):
// "string" keeps the text; otherwise JSON, then a Python literal (the
// templates print values with Python's str(): True, ['a', 'b']), else the
// text as a string.
nlohmann::ordered_json ReadParameterValue(std::string_view text,
                                          std::string_view type);

// JSON text as a value, or a discarded value if it does not parse or nests
// deeper than kMaxValueDepth.
nlohmann::ordered_json ParseJsonBounded(std::string_view text);

}  // namespace edgellm::chat::output::internal

#endif  // EDGELLM_RUNTIME_CHAT_OUTPUT_TOOL_SCHEMA_H_
