#include "runtime/server/http/openai_tools.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/server/http/json_fields.h"

namespace edgellm::server::http {
namespace {

using nlohmann::json;

bool IsString(const json* v, const char* text) {
  return v != nullptr && v->is_string() &&
         v->get_ref<const std::string&>() == text;
}

// Whether `value` nests deeper than `max` containers, by an explicit walk
// (no recursion).
bool DeeperThan(const json& value, int max) {
  std::vector<std::pair<const json*, int>> stack = {{&value, 0}};
  while (!stack.empty()) {
    auto [v, depth] = stack.back();
    stack.pop_back();
    if (!v->is_structured()) continue;
    if (depth + 1 > max) return true;
    for (const json& child : *v) stack.push_back({&child, depth + 1});
  }
  return false;
}

absl::StatusOr<std::string> OptionalString(const json& object, const char* key,
                                           const std::string& at) {
  const json* v = FindMember(object, key);
  if (v == nullptr) return std::string();
  if (!v->is_string())
    return InvalidField(absl::StrCat(at, ".", key), "must be a string");
  return v->get<std::string>();
}

absl::StatusOr<ChatTool> ReadTool(const json& t, const std::string& at) {
  if (!t.is_object() || !IsString(FindMember(t, "type"), "function")) {
    return InvalidField(
        at, "must be {\"type\": \"function\", \"function\": {...}}");
  }
  const json* f = FindMember(t, "function");
  const std::string fat = absl::StrCat(at, ".function");
  if (f == nullptr || !f->is_object()) {
    return InvalidField(fat, "must be an object with a string `name`");
  }
  const json* name = FindMember(*f, "name");
  if (name == nullptr || !name->is_string() ||
      name->get_ref<const std::string&>().empty()) {
    return InvalidField(absl::StrCat(fat, ".name"),
                        "must be a non-empty string");
  }
  ChatTool tool;
  tool.name = name->get<std::string>();
  absl::StatusOr<std::string> description =
      OptionalString(*f, "description", fat);
  if (!description.ok()) return description.status();
  tool.description = std::move(*description);
  if (const json* parameters = FindMember(*f, "parameters")) {
    const std::string pat = absl::StrCat(fat, ".parameters");
    if (!parameters->is_object()) {
      return InvalidField(pat, "must be a JSON Schema object");
    }
    absl::StatusOr<std::string> text = BoundedJsonText(*parameters, pat);
    if (!text.ok()) return text.status();
    tool.parameters = std::move(*text);
  }
  return tool;
}

// tool_choice: true when the tools go into the prompt.
absl::StatusOr<bool> ReadToolChoice(const json& body) {
  const json* choice = FindMember(body, "tool_choice");
  if (choice == nullptr || IsString(choice, "auto")) return true;
  if (IsString(choice, "none")) return false;
  const bool named = choice->is_object() &&
                     IsString(FindMember(*choice, "type"), "function") &&
                     FindMember(*choice, "function") != nullptr;
  if (named || IsString(choice, "required")) {
    return InvalidField("tool_choice",
                        "this server cannot force a tool call (it does not "
                        "constrain decoding); use \"auto\" or \"none\"");
  }
  return InvalidField(
      "tool_choice",
      "must be \"none\", \"auto\", \"required\" or a named function");
}

}  // namespace

absl::StatusOr<std::string> BoundedJsonText(const json& value,
                                            const std::string& at) {
  if (DeeperThan(value, RequestLimits::kMaxJsonDepth)) {
    return InvalidField(at,
                        absl::StrCat("JSON nested deeper than ",
                                     RequestLimits::kMaxJsonDepth, " levels"));
  }
  // Invalid UTF-8 becomes U+FFFD rather than an exception.
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::Status ReadTools(const json& body, std::vector<ChatTool>* tools) {
  const json* list = FindMember(body, "tools");
  absl::StatusOr<bool> use = ReadToolChoice(body);
  if (!use.ok()) return use.status();
  if (list == nullptr) return absl::OkStatus();
  if (!list->is_array()) return InvalidField("tools", "must be a list");
  // Counted before anything is converted.
  if (list->size() > size_t{RequestLimits::kMaxChatTools}) {
    return InvalidField("tools", absl::StrCat(list->size(), " tools; at most ",
                                              RequestLimits::kMaxChatTools));
  }
  std::vector<ChatTool> read;
  for (size_t i = 0; i < list->size(); ++i) {
    absl::StatusOr<ChatTool> tool =
        ReadTool((*list)[i], absl::StrCat("tools[", i, "]"));
    if (!tool.ok()) return tool.status();
    read.push_back(std::move(*tool));
  }
  // "none": checked, but left out of the prompt.
  if (*use) *tools = std::move(read);
  return absl::OkStatus();
}

absl::Status ReadToolCalls(const json& message, const std::string& at,
                           std::vector<ToolCall>* calls) {
  const json* list = FindMember(message, "tool_calls");
  if (list == nullptr) return absl::OkStatus();
  const std::string lat = absl::StrCat(at, ".tool_calls");
  if (!list->is_array()) return InvalidField(lat, "must be a list");
  for (size_t k = 0; k < list->size(); ++k) {
    const json& c = (*list)[k];
    const std::string cat = absl::StrCat(lat, "[", k, "]");
    if (!c.is_object()) return InvalidField(cat, "must be an object");
    const json* f = FindMember(c, "function");
    if (f == nullptr || !f->is_object()) {
      return InvalidField(absl::StrCat(cat, ".function"), "must be an object");
    }
    ToolCall call;
    call.index = static_cast<int32_t>(k);
    absl::StatusOr<std::string> id = OptionalString(c, "id", cat);
    if (!id.ok()) return id.status();
    call.id = std::move(*id);
    const std::string fat = absl::StrCat(cat, ".function");
    const json* name = FindMember(*f, "name");
    if (name == nullptr || !name->is_string() ||
        name->get_ref<const std::string&>().empty()) {
      return InvalidField(absl::StrCat(fat, ".name"),
                          "must be a non-empty string");
    }
    call.name = name->get<std::string>();
    if (const json* arguments = FindMember(*f, "arguments")) {
      const std::string aat = absl::StrCat(fat, ".arguments");
      if (arguments->is_string()) {
        call.arguments = arguments->get<std::string>();
      } else if (arguments->is_object()) {
        absl::StatusOr<std::string> text = BoundedJsonText(*arguments, aat);
        if (!text.ok()) return text.status();
        call.arguments = std::move(*text);
      } else {
        return InvalidField(aat, "must be a JSON string (or an object)");
      }
    }
    calls->push_back(std::move(call));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadTemplateKwargs(const json& body) {
  const json* kwargs = FindMember(body, "chat_template_kwargs");
  if (kwargs == nullptr) return std::string();
  if (!kwargs->is_object()) {
    return InvalidField("chat_template_kwargs", "must be an object");
  }
  if (kwargs->empty()) return std::string();
  return BoundedJsonText(*kwargs, "chat_template_kwargs");
}

}  // namespace edgellm::server::http
