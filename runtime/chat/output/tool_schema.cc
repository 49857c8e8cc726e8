#include "runtime/chat/output/tool_schema.h"

#include <string>

#include "runtime/chat/output/pythonic.h"
#include "runtime/chat/output/value_scanner.h"

namespace edgellm::chat::output::internal {
namespace {

using Json = nlohmann::ordered_json;

// The deepest bracket nesting outside strings.
int NestingDepth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escape = false;
  for (char c : text) {
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

std::string TypeOf(const Json& schema) {
  if (!schema.is_object()) return "";
  const auto it = schema.find("type");
  if (it == schema.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array()) {
    std::string first;
    for (const Json& t : *it) {
      if (!t.is_string()) continue;
      if (t.get<std::string>() == "string") return "string";
      if (first.empty() && t.get<std::string>() != "null") {
        first = t.get<std::string>();
      }
    }
    return first;
  }
  return "";
}

}  // namespace

Json ParseJsonBounded(std::string_view text) {
  if (NestingDepth(text) > kMaxValueDepth)
    return Json(Json::value_t::discarded);
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

absl::StatusOr<ToolSchemas> ToolSchemas::FromJson(std::string_view tools_json) {
  ToolSchemas schemas;
  if (tools_json.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return schemas;
  }
  const Json tools = ParseJsonBounded(tools_json);
  if (!tools.is_array()) {
    return absl::InvalidArgumentError(
        "tools_json: expected a JSON array of tools (OpenAI form)");
  }
  for (const Json& tool : tools) {
    if (!tool.is_object()) continue;
    const auto fn = tool.find("function");
    const Json& function = (fn != tool.end() && fn->is_object()) ? *fn : tool;
    const auto name = function.find("name");
    const auto params = function.find("parameters");
    if (name == function.end() || !name->is_string() ||
        params == function.end() || !params->is_object()) {
      continue;
    }
    const auto props = params->find("properties");
    if (props == params->end() || !props->is_object()) continue;
    auto& types = schemas.types_[name->get<std::string>()];
    for (const auto& [param, schema] : props->items()) {
      types[param] = TypeOf(schema);
    }
  }
  return schemas;
}

std::string_view ToolSchemas::ParameterType(std::string_view tool,
                                            std::string_view parameter) const {
  const auto t = types_.find(tool);
  if (t == types_.end()) return "";
  const auto p = t->second.find(parameter);
  return p == t->second.end() ? std::string_view() : p->second;
}

Json ReadParameterValue(std::string_view text, std::string_view type) {
  if (type == "string") return Json(std::string(text));
  Json value = ParseJsonBounded(text);
  if (!value.is_discarded()) return value;
  if (auto literal = ParsePythonLiteral(text)) return *std::move(literal);
  return Json(std::string(text));
}

}  // namespace edgellm::chat::output::internal
