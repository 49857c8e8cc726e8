// The conversations of ../shared/chat_templates (NAME.jinja with the cases
// of NAME.jsonl, rendered by Python's Jinja2) as the engine's ChatRequests,
// for tests that render them through the engine.
#ifndef EDGELLM_RUNTIME_ENGINE_TESTING_CHAT_CASES_H_
#define EDGELLM_RUNTIME_ENGINE_TESTING_CHAT_CASES_H_

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "runtime/engine/edgellm.h"

namespace edgellm::testing {

struct ChatCase {
  std::string name;  // "tool_call_dict_args", ...
  nlohmann::ordered_json context;
  std::optional<std::string> output;  // what Jinja2 rendered, or
  std::optional<std::string> error;   // its "Type: message"
};

struct SharedTemplate {
  std::string name;    // "Qwen-Qwen2.5-7B-Instruct"
  std::string source;  // the .jinja file's bytes
  std::vector<ChatCase> cases;
};

// Every NAME.jsonl with its NAME.jinja under `dir`, sorted by name.
std::vector<SharedTemplate> ReadSharedTemplates(const std::string& dir);

// Whether a ChatRequest carries `context` exactly as recorded. It does not
// for a null content (the engine passes ""), tool-call arguments given as a
// JSON string of an object (the engine passes the object) and "tools": null
// (the engine leaves tools undefined): deliberate choices, see
// runtime/engine/chat_prompt.h.
bool Expressible(const nlohmann::ordered_json& context);

// The request an API client would send for `context` (bos_token and
// eos_token are the vocabulary's, not the request's).
ChatRequest RequestFromContext(const nlohmann::ordered_json& context);

// The clock the records were rendered with (strftime_now): Sunday 26 July
// 2026, 12:00:00.
std::tm SharedCasesNow();

}  // namespace edgellm::testing

#endif  // EDGELLM_RUNTIME_ENGINE_TESTING_CHAT_CASES_H_
