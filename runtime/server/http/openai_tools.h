// The tool-calling parts of an OpenAI chat request -> the engine's
// ChatRequest fields (edgellm.h): `tools` and `tool_choice`, assistant
// messages' `tool_calls`, and `chat_template_kwargs` (the name vLLM and the
// llama.cpp server give the template's extra variables). Errors are
// INVALID_ARGUMENT naming the parameter ("tools[2].function.parameters:
// ...", "messages[1].tool_calls[0].function.arguments: ...").
//
// JSON values the engine gets as text (a tool's `parameters`, a call's
// `arguments` when a client sends an object, the kwargs) must nest at most
// RequestLimits::kMaxJsonDepth levels, checked before they are written out
// (writing JSON recurses).
#ifndef EDGELLM_RUNTIME_SERVER_HTTP_OPENAI_TOOLS_H_
#define EDGELLM_RUNTIME_SERVER_HTTP_OPENAI_TOOLS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runtime/engine/edgellm.h"

namespace edgellm::server::http {

// tools: a list of at most RequestLimits::kMaxChatTools {"type":
// "function", "function": {"name", "description", "parameters"}};
// tool_choice: "auto" (the default), "none" (the tools are left out of the
// prompt, so the reply is text) or "required" / a named function, which
// are refused: nothing constrains decoding, so a call cannot be forced.
// `parallel_tool_calls` needs nothing: replies may carry several calls.
absl::Status ReadTools(const nlohmann::json& body,
                       std::vector<ChatTool>* tools);

// An assistant message's `tool_calls`: [{"id", "type": "function",
// "function": {"name", "arguments"}}], arguments a JSON string (as OpenAI
// sends them) or an object. `at` names the message ("messages[3]").
absl::Status ReadToolCalls(const nlohmann::json& message, const std::string& at,
                           std::vector<ToolCall>* calls);

// chat_template_kwargs: an object -> its JSON text ("" when absent).
absl::StatusOr<std::string> ReadTemplateKwargs(const nlohmann::json& body);

// A JSON value as compact text, or INVALID_ARGUMENT on `at` when it nests
// deeper than RequestLimits::kMaxJsonDepth.
absl::StatusOr<std::string> BoundedJsonText(const nlohmann::json& value,
                                            const std::string& at);

}  // namespace edgellm::server::http

#endif  // EDGELLM_RUNTIME_SERVER_HTTP_OPENAI_TOOLS_H_
