#include "runtime/engine/chat_prompt.h"

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "runtime/chat/jinja/error.h"
#include "util/status_macros.h"

namespace edgellm::engine {
namespace {

using Json = nlohmann::ordered_json;

// Template files are tens of kilobytes; this only keeps a wrong path (a
// model file, say) from being read whole.
constexpr size_t kMaxTemplateFileBytes = 4 << 20;

// Parses JSON text given in a request, refusing nesting deeper than
// RequestLimits::kMaxJsonDepth (the parser is iterative; what renders it is
// not).
absl::StatusOr<Json> ParseJsonText(std::string_view text,
                                   const std::string& field) {
  bool too_deep = false;
  Json::parser_callback_t depth_check =
      [&too_deep](int depth, Json::parse_event_t, Json&) {
        if (depth > RequestLimits::kMaxJsonDepth) too_deep = true;
        return !too_deep;
      };
  Json value;
  try {
    value = Json::parse(text.begin(), text.end(), depth_check);
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not valid JSON: ", e.what()));
  }
  if (too_deep) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": JSON nested deeper than ",
                     RequestLimits::kMaxJsonDepth, " levels"));
  }
  return value;
}

absl::StatusOr<Json> ParseJsonObject(std::string_view text,
                                     const std::string& field) {
  EDGELLM_ASSIGN_OR_RETURN(Json value, ParseJsonText(text, field));
  if (!value.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": must be a JSON object, got ", value.type_name()));
  }
  return value;
}

// Arguments as the template wants them: the object (Hugging Face's
// templates iterate it or dump it with tojson), else the text as given.
Json ArgumentsValue(const std::string& arguments) {
  if (arguments.empty()) return Json::object();
  absl::StatusOr<Json> parsed = ParseJsonText(arguments, "arguments");
  if (parsed.ok() && parsed->is_object()) return *std::move(parsed);
  return arguments;
}

absl::StatusOr<Json> MessageJson(const ChatMessage& m, size_t i) {
  const std::string field = absl::StrCat("messages[", i, "]");
  if (m.role.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".role: empty"));
  }
  if (!m.content_parts.empty() && !m.content.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".content_parts: give content or content_parts, not both"));
  }
  // Keys in the order OpenAI clients and Hugging Face's examples write
  // them; a template that prints a message shows it.
  Json j = Json::object();
  j["role"] = m.role;
  if (!m.tool_call_id.empty()) j["tool_call_id"] = m.tool_call_id;
  if (!m.name.empty()) j["name"] = m.name;
  if (m.content_parts.empty()) {
    j["content"] = m.content;
  } else {
    Json parts = Json::array();
    for (const ContentPart& p : m.content_parts) {
      parts.push_back(Json{{"type", p.type}, {"text", p.text}});
    }
    j["content"] = std::move(parts);
  }
  if (!m.reasoning_content.empty()) {
    j["reasoning_content"] = m.reasoning_content;
  }
  if (!m.tool_calls.empty()) {
    Json calls = Json::array();
    for (size_t k = 0; k < m.tool_calls.size(); ++k) {
      const ToolCall& call = m.tool_calls[k];
      if (call.name.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".tool_calls[", k, "].name: empty"));
      }
      Json c = Json::object();
      if (!call.id.empty()) c["id"] = call.id;
      c["type"] = "function";
      c["function"] = Json{{"name", call.name},
                           {"arguments", ArgumentsValue(call.arguments)}};
      calls.push_back(std::move(c));
    }
    j["tool_calls"] = std::move(calls);
  }
  return j;
}

absl::StatusOr<Json> ToolJson(const ChatTool& tool, size_t i) {
  const std::string field = absl::StrCat("tools[", i, "]");
  if (tool.name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".name: empty"));
  }
  Json function = Json::object();
  function["name"] = tool.name;
  if (!tool.description.empty()) function["description"] = tool.description;
  if (!tool.parameters.empty()) {
    EDGELLM_ASSIGN_OR_RETURN(
        function["parameters"],
        ParseJsonObject(tool.parameters, absl::StrCat(field, ".parameters")));
  }
  return Json{{"type", "function"}, {"function", std::move(function)}};
}

absl::StatusOr<std::string> ReadTemplateFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path));
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0 || static_cast<size_t>(size) > kMaxTemplateFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", size, " bytes; a chat template is at most ",
                     kMaxTemplateFileBytes));
  }
  in.seekg(0);
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), size);
  if (!in) return absl::DataLossError(absl::StrCat("cannot read ", path));
  return text;
}

}  // namespace

absl::StatusOr<Json> ChatTemplateContext(const ChatRequest& request,
                                         const ChatTokens& tokens) {
  if (request.messages.empty()) {
    return absl::InvalidArgumentError("messages: empty");
  }
  if (request.messages.size() > size_t{RequestLimits::kMaxChatMessages}) {
    return absl::InvalidArgumentError(
        absl::StrCat("messages: ", request.messages.size(),
                     " messages; at most ", RequestLimits::kMaxChatMessages));
  }
  if (request.tools.size() > size_t{RequestLimits::kMaxChatTools}) {
    return absl::InvalidArgumentError(
        absl::StrCat("tools: ", request.tools.size(), " tools; at most ",
                     RequestLimits::kMaxChatTools));
  }
  // In the order apply_chat_template passes them: messages, tools,
  // add_generation_prompt, the special tokens, then the caller's kwargs.
  Json context = Json::object();
  Json& messages = context["messages"] = Json::array();
  for (size_t i = 0; i < request.messages.size(); ++i) {
    EDGELLM_ASSIGN_OR_RETURN(Json m, MessageJson(request.messages[i], i));
    messages.push_back(std::move(m));
  }
  if (!request.tools.empty()) {
    Json& tools = context["tools"] = Json::array();
    for (size_t i = 0; i < request.tools.size(); ++i) {
      EDGELLM_ASSIGN_OR_RETURN(Json t, ToolJson(request.tools[i], i));
      tools.push_back(std::move(t));
    }
  }
  context["add_generation_prompt"] = request.add_generation_prompt;
  if (tokens.bos.has_value()) context["bos_token"] = *tokens.bos;
  if (tokens.eos.has_value()) context["eos_token"] = *tokens.eos;
  if (!request.template_kwargs.empty()) {
    EDGELLM_ASSIGN_OR_RETURN(
        Json kwargs,
        ParseJsonObject(request.template_kwargs, "template_kwargs"));
    for (auto& [key, value] : kwargs.items()) {
      if (key == "messages" || key == "tools" ||
          key == "add_generation_prompt") {
        return absl::InvalidArgumentError(
            absl::StrCat("template_kwargs: \"", key,
                         "\" is set by the request's own field, not here"));
      }
      context[key] = std::move(value);
    }
  }
  return context;
}

std::string ToolsJson(const ChatRequest& request) {
  if (request.tools.empty()) return "";
  Json tools = Json::array();
  for (size_t i = 0; i < request.tools.size(); ++i) {
    absl::StatusOr<Json> t = ToolJson(request.tools[i], i);
    if (t.ok()) tools.push_back(*std::move(t));
  }
  return tools.dump();
}

std::string_view ChatPromptSourceName(ChatPromptSource source) {
  switch (source) {
    case ChatPromptSource::kNone:
      return "";
    case ChatPromptSource::kModel:
      return "model";
    case ChatPromptSource::kFile:
      return "file";
    case ChatPromptSource::kFamily:
      return "family";
  }
  return "";
}

absl::StatusOr<ChatPrompt> ChatPrompt::FromJinja(std::string_view source,
                                                 ChatPromptSource origin,
                                                 const ChatTokens& tokens) {
  EDGELLM_ASSIGN_OR_RETURN(chat::jinja::Template parsed,
                           chat::jinja::Template::Parse(source));
  ChatPrompt p;
  p.source_ = origin;
  p.tokens_ = tokens;
  p.jinja_source_ = std::string(source);
  p.jinja_ = std::move(parsed);
  return p;
}

absl::StatusOr<ChatPrompt> ChatPrompt::Create(const ChatPromptInputs& in) {
  ChatPrompt p;
  p.tokens_ = in.tokens;
  if (in.model_template.has_value()) {
    p.default_system_prompt_ = chat::DefaultSystemPrompt(*in.model_template);
  }
  if (!in.override_option.empty()) {
    absl::StatusOr<chat::ChatTemplateFamily> family =
        chat::ChatTemplateFamilyFromName(in.override_option);
    if (family.ok()) {
      p.source_ = ChatPromptSource::kFamily;
      p.family_ = *family;
      return p;
    }
    absl::StatusOr<std::string> text = ReadTemplateFile(in.override_option);
    if (!text.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("chat_template: \"", in.override_option,
                       "\" is neither a template family (",
                       chat::SupportedChatTemplateNames(),
                       ") nor a Jinja file (", text.status().message(), ")"));
    }
    absl::StatusOr<ChatPrompt> file =
        FromJinja(*text, ChatPromptSource::kFile, in.tokens);
    if (!file.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("chat_template: ", in.override_option, ": ",
                       file.status().message()));
    }
    return file;
  }
  if (!in.model_template.has_value()) {
    if (absl::StatusOr<chat::ChatTemplateFamily> family =
            chat::ChatTemplateFamilyFromName(in.architecture_family);
        family.ok()) {
      p.source_ = ChatPromptSource::kFamily;
      p.family_ = *family;
      return p;
    }
    p.error_ = absl::StrCat(
        "the model has no tokenizer.chat_template; name a template family "
        "or a Jinja file (server: --chat-template NAME|FILE.jinja), families: ",
        chat::SupportedChatTemplateNames());
    return p;
  }
  absl::StatusOr<ChatPrompt> model =
      FromJinja(*in.model_template, ChatPromptSource::kModel, in.tokens);
  if (model.ok()) {
    if (in.model_tool_use_template.has_value()) {
      absl::StatusOr<chat::jinja::Template> tool_use =
          chat::jinja::Template::Parse(*in.model_tool_use_template);
      // A broken alternative is not used; the main template still is.
      if (tool_use.ok()) model->tool_use_jinja_ = *std::move(tool_use);
    }
    return model;
  }
  const std::string parse_error =
      absl::StrCat("the model's tokenizer.chat_template does not parse: ",
                   model.status().message());
  absl::StatusOr<chat::ChatTemplateFamily> family =
      chat::DetectChatTemplate(*in.model_template);
  if (family.ok()) {
    p.source_ = ChatPromptSource::kFamily;
    p.family_ = *family;
    p.error_ = absl::StrCat(parse_error, "; rendering with the \"",
                            std::string(chat::ChatTemplateFamilyName(*family)),
                            "\" family it resembles");
  } else {
    p.error_ = parse_error;
  }
  return p;
}

std::string ChatPrompt::name() const {
  if (jinja_.has_value()) return "jinja";
  if (family_.has_value()) {
    return std::string(chat::ChatTemplateFamilyName(*family_));
  }
  return "";
}

absl::StatusOr<std::string> ChatPrompt::Render(
    const ChatRequest& request) const {
  if (source_ == ChatPromptSource::kNone) {
    return absl::FailedPreconditionError(error_);
  }
  if (!jinja_.has_value()) return RenderFamily(request);
  EDGELLM_ASSIGN_OR_RETURN(Json context, ChatTemplateContext(request, tokens_));
  const chat::jinja::Template& tpl =
      !request.tools.empty() && tool_use_jinja_.has_value() ? *tool_use_jinja_
                                                            : *jinja_;
  chat::jinja::RenderOptions options;
  options.now = now_;
  absl::StatusOr<std::string> text = tpl.RenderJson(context, options);
  if (!text.ok()) {
    absl::Status status(text.status().code(),
                        absl::StrCat("messages: the chat template failed at ",
                                     text.status().message()));
    // Kept: chat::jinja::ErrorText reads Jinja2's "Type: message" from them.
    text.status().ForEachPayload(
        [&status](absl::string_view url, const absl::Cord& payload) {
          status.SetPayload(url, payload);
        });
    return status;
  }
  return text;
}

absl::StatusOr<std::string> ChatPrompt::RenderFamily(
    const ChatRequest& request) const {
  const std::string family(chat::ChatTemplateFamilyName(*family_));
  if (!request.tools.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tools: the \"", family,
        "\" template family lays out no tools; give the model's Jinja "
        "template (chat_template FILE.jinja)"));
  }
  if (request.messages.size() > size_t{RequestLimits::kMaxChatMessages}) {
    return absl::InvalidArgumentError(
        absl::StrCat("messages: ", request.messages.size(),
                     " messages; at most ", RequestLimits::kMaxChatMessages));
  }
  std::vector<chat::ChatMessage> turns;
  turns.reserve(request.messages.size() + 1);
  if (!request.messages.empty() && request.messages[0].role != "system" &&
      default_system_prompt_.has_value()) {
    turns.push_back({"system", *default_system_prompt_});
  }
  for (size_t i = 0; i < request.messages.size(); ++i) {
    const ChatMessage& m = request.messages[i];
    if (!m.tool_calls.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("messages[", i, "].tool_calls: the \"", family,
                       "\" template family lays out no tool calls"));
    }
    std::string content = m.content;
    for (const ContentPart& part : m.content_parts) content += part.text;
    turns.push_back({m.role, std::move(content)});
  }
  absl::StatusOr<std::string> prompt = chat::RenderChat(
      *family_, turns, request.add_generation_prompt, tokens_.bos.value_or(""));
  if (!prompt.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("messages: ", prompt.status().message()));
  }
  return prompt;
}

}  // namespace edgellm::engine
