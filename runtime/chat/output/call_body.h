// Reads the body of a complete tool-call block (the text between its
// markers) into calls. Any body that is not exactly a well-formed call in
// its format yields nullopt, and the caller reports the block as text.
#ifndef EDGELLM_RUNTIME_CHAT_OUTPUT_CALL_BODY_H_
#define EDGELLM_RUNTIME_CHAT_OUTPUT_CALL_BODY_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "runtime/chat/output/format_spec.h"
#include "runtime/chat/output/tool_schema.h"

namespace edgellm::chat::output::internal {

struct RawCall {
  std::string name;
  nlohmann::ordered_json arguments;  // an object
  std::string id;                    // "" unless the model wrote one
};

struct BodyResult {
  std::vector<RawCall> calls;
  // Text a generic {"response": "..."} reply carries.
  std::string content;
};

// `bare`: the body is a value that is the whole reply (no marker before
// it), so a JSON object must name its arguments ("arguments" or
// "parameters") to count as a call.
std::optional<BodyResult> ParseBody(const BlockSpec& block,
                                    std::string_view body,
                                    const ToolSchemas& schemas, bool bare,
                                    bool allow_response);

// Splits a JSON call object (or an array of them, or a {"tool_calls": [..]}
// wrapper) into calls; false if any part is not a call.
bool CallsFromJson(const nlohmann::ordered_json& value, bool bare,
                   std::vector<RawCall>& calls);

}  // namespace edgellm::chat::output::internal

#endif  // EDGELLM_RUNTIME_CHAT_OUTPUT_CALL_BODY_H_
