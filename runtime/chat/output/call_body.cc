#include "runtime/chat/output/call_body.h"

#include <map>
#include <string>
#include <utility>

#include "runtime/chat/output/pythonic.h"
#include "runtime/chat/output/text_util.h"
#include "runtime/chat/output/utf8.h"
#include "runtime/chat/output/value_scanner.h"

namespace edgellm::chat::output::internal {
namespace {

using Json = nlohmann::ordered_json;
using Calls = std::vector<RawCall>;

constexpr size_t kMaxNameLength = 256;

bool Consume(std::string_view& s, std::string_view prefix) {
  if (!(s).starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// Text up to `delimiter` (removed from `s` with it); false if absent.
bool ConsumeUntil(std::string_view& s, std::string_view delimiter,
                  std::string_view& before) {
  const size_t at = s.find(delimiter);
  if (at == std::string_view::npos) return false;
  before = s.substr(0, at);
  s.remove_prefix(at + delimiter.size());
  return true;
}

// A function name: no whitespace, control characters or markup.
bool NameOk(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || c == ' ' || c == '<' || c == '>' || c == '"' || c == '\'' ||
        c == '{' || c == '}' || c == '[' || c == ']') {
      return false;
    }
  }
  return true;
}

// Arguments given as an object, as a JSON string holding an object (the
// OpenAI wire form), or null (none).
std::optional<Json> ArgumentsFrom(const Json& value) {
  if (value.is_object()) return value;
  if (value.is_null()) return Json::object();
  if (value.is_string()) {
    Json parsed = ParseJsonBounded(value.get_ref<const std::string&>());
    if (parsed.is_object()) return parsed;
  }
  return std::nullopt;
}

std::optional<Json> ArgumentsFromText(std::string_view text) {
  const Json parsed = ParseJsonBounded(Trim(text));
  if (parsed.is_discarded()) return std::nullopt;
  return ArgumentsFrom(parsed);
}

const Json* Member(const Json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

bool CallFromObject(const Json& object, bool bare, Calls& calls) {
  if (!object.is_object()) return false;
  const Json* function = Member(object, "function");
  if (function != nullptr && !function->is_object()) function = nullptr;
  const Json* name = Member(object, "name");
  if (name == nullptr) name = Member(object, "tool_name");
  if (name == nullptr && function != nullptr) name = Member(*function, "name");
  if (name == nullptr || !name->is_string()) return false;
  const Json* args = Member(object, "arguments");
  if (args == nullptr) args = Member(object, "parameters");
  if (args == nullptr && function != nullptr) {
    args = Member(*function, "arguments");
    if (args == nullptr) args = Member(*function, "parameters");
  }
  RawCall call;
  call.name = name->get<std::string>();
  if (!NameOk(call.name)) return false;
  if (args == nullptr) {
    if (bare) return false;
    call.arguments = Json::object();
  } else {
    std::optional<Json> parsed = ArgumentsFrom(*args);
    if (!parsed) return false;
    call.arguments = *std::move(parsed);
  }
  const Json* id = Member(object, "id");
  if (id == nullptr) id = Member(object, "tool_call_id");
  if (id != nullptr && id->is_string()) {
    call.id = id->get<std::string>();
  } else if (id != nullptr && id->is_number_integer()) {
    call.id = id->dump();
  }
  calls.push_back(std::move(call));
  return true;
}

// JSON values one after another, separated by whitespace, commas or
// semicolons (MiniMax-M1 writes one call object per line).
std::optional<std::vector<Json>> JsonValues(std::string_view body) {
  std::vector<Json> values;
  size_t pos = 0;
  while (true) {
    while (pos < body.size() &&
           (IsSpace(body[pos]) || body[pos] == ',' || body[pos] == ';')) {
      ++pos;
    }
    if (pos == body.size()) break;
    ValueScanner scanner(ValueScanner::Syntax::kJson);
    const std::string_view rest = body.substr(pos);
    if (scanner.Scan(rest) != ValueScanner::State::kComplete) {
      return std::nullopt;
    }
    Json value = ParseJsonBounded(rest.substr(0, scanner.end()));
    if (value.is_discarded()) return std::nullopt;
    values.push_back(std::move(value));
    pos += scanner.end();
  }
  if (values.empty()) return std::nullopt;
  return values;
}

bool JsonCallsBody(std::string_view body, bool bare, bool allow_response,
                   BodyResult& result) {
  std::optional<std::vector<Json>> values = JsonValues(body);
  if (!values) return false;
  for (const Json& value : *values) {
    const Json* response =
        value.is_object() ? Member(value, "response") : nullptr;
    if (allow_response && response != nullptr && value.size() == 1) {
      result.content +=
          response->is_string()
              ? response->get<std::string>()
              : response->dump(2, ' ', false, Json::error_handler_t::replace);
      continue;
    }
    if (!CallsFromJson(value, bare, result.calls)) return false;
  }
  return true;
}

// Qwen3-Coder's template writes "<parameter=P>\n" + value + "\n</parameter>":
// one newline on each side belongs to the layout.
std::string_view StripLayoutNewlines(std::string_view value) {
  if ((value).starts_with("\n")) value.remove_prefix(1);
  if ((value).ends_with("\n")) value.remove_suffix(1);
  return value;
}

bool XmlFunctionsBody(std::string_view s, const ToolSchemas& schemas,
                      Calls& calls) {
  while (true) {
    s = TrimLeft(s);
    if (s.empty()) break;
    std::string_view name;
    if (!Consume(s, "<function=") || !ConsumeUntil(s, ">", name)) return false;
    RawCall call;
    call.name = std::string(Trim(name));
    if (!NameOk(call.name)) return false;
    call.arguments = Json::object();
    while (true) {
      s = TrimLeft(s);
      // A missing </function> at the very end is forgiven.
      if (s.empty() || Consume(s, "</function>")) break;
      std::string_view param, value;
      if (!Consume(s, "<parameter=") || !ConsumeUntil(s, ">", param) ||
          !ConsumeUntil(s, "</parameter>", value)) {
        return false;
      }
      param = Trim(param);
      if (param.empty()) return false;
      call.arguments[std::string(param)] = ReadParameterValue(
          StripLayoutNewlines(value), schemas.ParameterType(call.name, param));
    }
    calls.push_back(std::move(call));
  }
  return !calls.empty();
}

// GLM: NAME then <arg_key>K</arg_key><arg_value>V</arg_value> pairs.
bool ArgPairsBody(std::string_view s, const ToolSchemas& schemas,
                  Calls& calls) {
  const size_t first = s.find("<arg_key>");
  RawCall call;
  call.name = std::string(Trim(s.substr(0, first)));
  if (!NameOk(call.name)) return false;
  call.arguments = Json::object();
  s = first == std::string_view::npos ? std::string_view() : s.substr(first);
  while (true) {
    s = TrimLeft(s);
    if (s.empty()) break;
    std::string_view key, value;
    if (!Consume(s, "<arg_key>") || !ConsumeUntil(s, "</arg_key>", key)) {
      return false;
    }
    s = TrimLeft(s);
    if (!Consume(s, "<arg_value>") || !ConsumeUntil(s, "</arg_value>", value)) {
      return false;
    }
    key = Trim(key);
    if (key.empty()) return false;
    call.arguments[std::string(key)] =
        ReadParameterValue(value, schemas.ParameterType(call.name, key));
  }
  calls.push_back(std::move(call));
  return true;
}

// Attributes up to and including '>': name="value" pairs.
bool ConsumeAttributes(std::string_view& s,
                       std::map<std::string, std::string>& attrs) {
  while (true) {
    s = TrimLeft(s);
    if (Consume(s, ">")) return true;
    std::string_view key, value;
    if (!ConsumeUntil(s, "=", key)) return false;
    key = Trim(key);
    if (key.empty() || !Consume(s, "\"") || !ConsumeUntil(s, "\"", value)) {
      return false;
    }
    attrs[std::string(key)] = std::string(value);
  }
}

// <{p}invoke name="N"><{p}parameter name="P">V</{p}parameter></{p}invoke>.
// DeepSeek V4's parameters say string="true" (text) or "false" (JSON).
bool InvokesBody(std::string_view s, std::string_view prefix,
                 const ToolSchemas& schemas, Calls& calls) {
  const std::string p(prefix);
  const std::string invoke_open = "<" + p + "invoke";
  const std::string invoke_close = "</" + p + "invoke>";
  const std::string param_open = "<" + p + "parameter";
  const std::string param_close = "</" + p + "parameter>";
  while (true) {
    s = TrimLeft(s);
    if (s.empty()) break;
    std::map<std::string, std::string> attrs;
    if (!Consume(s, invoke_open) || !ConsumeAttributes(s, attrs)) return false;
    RawCall call;
    call.name = attrs["name"];
    if (!NameOk(call.name)) return false;
    call.arguments = Json::object();
    while (true) {
      s = TrimLeft(s);
      if (Consume(s, invoke_close)) break;
      std::map<std::string, std::string> param_attrs;
      std::string_view value;
      if (!Consume(s, param_open) || !ConsumeAttributes(s, param_attrs) ||
          !ConsumeUntil(s, param_close, value)) {
        return false;
      }
      const std::string& param = param_attrs["name"];
      if (param.empty()) return false;
      std::string_view type = schemas.ParameterType(call.name, param);
      if (const auto it = param_attrs.find("string"); it != param_attrs.end()) {
        type = it->second == "true" ? "string" : "";
      }
      call.arguments[param] = ReadParameterValue(value, type);
    }
    calls.push_back(std::move(call));
  }
  return !calls.empty();
}

bool PythonCallsBody(std::string_view body, bool strip_dot_call, Calls& calls) {
  std::optional<std::vector<PythonCall>> parsed = ParsePythonCalls(body);
  if (!parsed) return false;
  for (PythonCall& p : *parsed) {
    RawCall call;
    call.name = std::move(p.name);
    // Llama 3.1's built-in tools: brave_search.call(query="...").
    if (strip_dot_call && (call.name).ends_with(".call")) {
      call.name.resize(call.name.size() - 5);
    }
    if (!NameOk(call.name)) return false;
    call.arguments = std::move(p.arguments);
    calls.push_back(std::move(call));
  }
  return true;
}

bool CallsOrJsonBody(std::string_view body, BodyResult& result) {
  body = Trim(body);
  if ((body).starts_with("{")) {
    return JsonCallsBody(body, false, false, result);
  }
  if (PythonCallsBody(body, false, result.calls)) return true;
  result.calls.clear();
  return (body).starts_with("[") && JsonCallsBody(body, false, false, result);
}

// After <|python_tag|>: a JSON call, built-in calls, else Python source for
// the code interpreter (Llama 3.1's "python" built-in).
bool PythonTagBody(std::string_view body, BodyResult& result) {
  body = Trim(body);
  if (body.empty()) return false;
  if (body.front() == '{' || body.front() == '[') {
    return JsonCallsBody(body, false, false, result);
  }
  if (PythonCallsBody(body, true, result.calls)) return true;
  result.calls.clear();
  RawCall call;
  call.name = "python";
  call.arguments = Json::object({{"code", std::string(body)}});
  result.calls.push_back(std::move(call));
  return true;
}

bool MistralBody(std::string_view body, BodyResult& result) {
  body = TrimLeft(body);
  if ((body).starts_with("[") || (body).starts_with("{")) {
    return JsonCallsBody(body, false, false, result);
  }
  std::string_view head;
  if (!ConsumeUntil(body, "[ARGS]", head)) return false;
  RawCall call;
  const size_t id_at = head.find("[CALL_ID]");
  if (id_at != std::string_view::npos) {
    call.id = std::string(Trim(head.substr(id_at + 9)));
    head = head.substr(0, id_at);
    if (!NameOk(call.id)) return false;
  }
  call.name = std::string(Trim(head));
  if (!NameOk(call.name)) return false;
  std::optional<Json> args = ArgumentsFromText(body);
  if (!args) return false;
  call.arguments = *std::move(args);
  result.calls.push_back(std::move(call));
  return true;
}

// A ```json ... ``` fence around arguments (DeepSeek R1).
std::string_view StripFence(std::string_view s) {
  s = Trim(s);
  if ((s).starts_with("```")) {
    const size_t nl = s.find('\n');
    s = nl == std::string_view::npos ? std::string_view() : s.substr(nl + 1);
    s = Trim(s);
    if ((s).ends_with("```")) s.remove_suffix(3);
  }
  return Trim(s);
}

bool DeepSeekBody(std::string_view body, Calls& calls) {
  std::string_view left;
  if (!ConsumeUntil(body, "<｜tool▁sep｜>", left)) return false;
  RawCall call;
  left = Trim(left);
  if (left == "function") {  // R1: function<｜tool▁sep｜>NAME\n```json\n..
    const size_t nl = body.find('\n');
    if (nl == std::string_view::npos) return false;
    call.name = std::string(Trim(body.substr(0, nl)));
    body.remove_prefix(nl + 1);
  } else {
    call.name = std::string(left);
  }
  if (!NameOk(call.name)) return false;
  std::optional<Json> args = ArgumentsFromText(StripFence(body));
  if (!args) return false;
  call.arguments = *std::move(args);
  calls.push_back(std::move(call));
  return true;
}

// functions.NAME:IDX<|tool_call_argument_begin|>{...}; the model's id is
// the whole "functions.NAME:IDX" (Kimi's template writes it back so).
bool KimiBody(std::string_view body, Calls& calls) {
  std::string_view id;
  if (!ConsumeUntil(body, "<|tool_call_argument_begin|>", id)) return false;
  RawCall call;
  id = Trim(id);
  call.id = std::string(id);
  std::string_view name = id;
  Consume(name, "functions.");
  const size_t colon = name.rfind(':');
  if (colon != std::string_view::npos &&
      name.find_first_not_of("0123456789", colon + 1) ==
          std::string_view::npos) {
    name = name.substr(0, colon);
  }
  call.name = std::string(name);
  if (!NameOk(call.name)) return false;
  std::optional<Json> args = ArgumentsFromText(body);
  if (!args) return false;
  call.arguments = *std::move(args);
  calls.push_back(std::move(call));
  return true;
}

bool SolarBody(std::string_view body, Calls& calls) {
  std::string_view id, name;
  if (!ConsumeUntil(body, "<|tool_call:name|>", id) ||
      !ConsumeUntil(body, "<|tool_call:args|>", name)) {
    return false;
  }
  RawCall call;
  call.id = std::string(Trim(id));
  call.name = std::string(Trim(name));
  if (!NameOk(call.name)) return false;
  std::optional<Json> args = ArgumentsFromText(body);
  if (!args) return false;
  call.arguments = *std::move(args);
  calls.push_back(std::move(call));
  return true;
}

// NAME, then header tokens (<|channel|>commentary, <|constrain|>json), then
// <|message|> and the arguments.
bool HarmonyBody(std::string_view body, Calls& calls) {
  size_t end = 0;
  while (end < body.size() && !IsSpace(body[end]) && body[end] != '<') ++end;
  const size_t message = body.rfind("<|message|>");
  if (message == std::string_view::npos || message < end) return false;
  RawCall call;
  call.name = std::string(body.substr(0, end));
  if (!NameOk(call.name)) return false;
  std::optional<Json> args =
      ArgumentsFromText(body.substr(message + sizeof("<|message|>") - 1));
  if (!args) return false;
  call.arguments = *std::move(args);
  calls.push_back(std::move(call));
  return true;
}

bool ToolCallTagBody(std::string_view body, const ToolSchemas& schemas,
                     BodyResult& result) {
  body = Trim(body);
  if ((body).starts_with("{") || (body).starts_with("[")) {
    return JsonCallsBody(body, false, false, result);
  }
  if ((body).starts_with("<function=")) {
    return XmlFunctionsBody(body, schemas, result.calls);
  }
  return ArgPairsBody(body, schemas, result.calls);
}

}  // namespace

bool CallsFromJson(const Json& value, bool bare, Calls& calls) {
  if (value.is_array()) {
    if (value.empty()) return false;
    for (const Json& item : value) {
      if (!CallFromObject(item, bare, calls)) return false;
    }
    return true;
  }
  if (!value.is_object()) return false;
  if (const Json* list = Member(value, "tool_calls")) {
    return list->is_array() && CallsFromJson(*list, false, calls);
  }
  if (const Json* one = Member(value, "tool_call")) {
    return CallFromObject(*one, false, calls);
  }
  return CallFromObject(value, bare, calls);
}

std::optional<BodyResult> ParseBody(const BlockSpec& block,
                                    std::string_view body,
                                    const ToolSchemas& schemas, bool bare,
                                    bool allow_response) {
  if (!IsValidUtf8(body)) return std::nullopt;
  BodyResult result;
  bool ok = false;
  switch (block.body) {
    case BodyKind::kToolCallTag:
      ok = ToolCallTagBody(body, schemas, result);
      break;
    case BodyKind::kJsonCalls:
      ok = JsonCallsBody(body, bare, allow_response, result);
      break;
    case BodyKind::kXmlFunctions:
      ok = XmlFunctionsBody(body, schemas, result.calls);
      break;
    case BodyKind::kInvokes:
      ok = InvokesBody(body, block.invoke_prefix, schemas, result.calls);
      break;
    case BodyKind::kCallsOrJson:
      ok = CallsOrJsonBody(body, result);
      break;
    case BodyKind::kPythonTag:
      ok = PythonTagBody(body, result);
      break;
    case BodyKind::kMistral:
      ok = MistralBody(body, result);
      break;
    case BodyKind::kDeepSeek:
      ok = DeepSeekBody(body, result.calls);
      break;
    case BodyKind::kKimi:
      ok = KimiBody(body, result.calls);
      break;
    case BodyKind::kSolar:
      ok = SolarBody(body, result.calls);
      break;
    case BodyKind::kHarmony:
      ok = HarmonyBody(body, result.calls);
      break;
  }
  if (!ok || (result.calls.empty() && result.content.empty())) {
    return std::nullopt;
  }
  return result;
}

}  // namespace edgellm::chat::output::internal
