// Python-style tool calls, as Gemma, LFM2 and Llama 3's built-in tools write
// them: `[get_weather(location="Seoul", days=3), search(q='x')]`, read into
// JSON (True/False/None become true/false/null; tuples become arrays).
#ifndef EDGELLM_RUNTIME_CHAT_OUTPUT_PYTHONIC_H_
#define EDGELLM_RUNTIME_CHAT_OUTPUT_PYTHONIC_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"

namespace edgellm::chat::output::internal {

struct PythonCall {
  std::string name;
  nlohmann::ordered_json arguments;  // an object of the keyword arguments
};

// A list of calls `[f(a=1), g()]`, or calls one after another separated by
// whitespace, commas or semicolons (`f(a=1)\ng()`). Keyword arguments only.
// nullopt if anything else is in the text.
std::optional<std::vector<PythonCall>> ParsePythonCalls(std::string_view text);

// One Python literal (string, number, True/False/None, list, tuple, dict;
// JSON's true/false/null too) as JSON; nullopt unless the whole text is one.
std::optional<nlohmann::ordered_json> ParsePythonLiteral(std::string_view text);

}  // namespace edgellm::chat::output::internal

#endif  // EDGELLM_RUNTIME_CHAT_OUTPUT_PYTHONIC_H_
