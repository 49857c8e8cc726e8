#include "runtime/server/http/openai_request.h"

#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/server/generate_options.h"
#include "runtime/server/http/json_fields.h"
#include "runtime/server/http/openai_tools.h"

namespace edgellm::server::http {
namespace {

using nlohmann::json;

// A string, or a list of strings (at most RequestLimits::kMaxStopStrings:
// counted before copying).
absl::Status ReadStop(const json& body, std::vector<std::string>* stop) {
  const json* v = FindMember(body, "stop");
  if (v == nullptr) return absl::OkStatus();
  if (v->is_string()) {
    stop->push_back(v->get<std::string>());
    return absl::OkStatus();
  }
  if (!v->is_array()) return InvalidField("stop", "must be a string or a list");
  if (v->size() > size_t{RequestLimits::kMaxStopStrings}) {
    return InvalidField("stop",
                        absl::StrCat(v->size(), " stop strings; at most ",
                                     RequestLimits::kMaxStopStrings));
  }
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      return InvalidField(absl::StrCat("stop[", i, "]"), "must be a string");
    }
    stop->push_back((*v)[i].get<std::string>());
  }
  return absl::OkStatus();
}

// {"token id": bias, ...}; OpenAI's range, [-100, 100].
absl::Status ReadLogitBias(const json& body,
                           std::vector<std::pair<int32_t, float>>* out) {
  const json* v = FindMember(body, "logit_bias");
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_object()) {
    return InvalidField("logit_bias", "must be an object of token id -> bias");
  }
  if (v->size() > size_t{SamplingParams::kMaxLogitBias}) {
    return InvalidField("logit_bias",
                        absl::StrCat(v->size(), " entries; at most ",
                                     SamplingParams::kMaxLogitBias));
  }
  for (auto it = v->begin(); it != v->end(); ++it) {
    int32_t id = 0;
    if (!absl::SimpleAtoi(it.key(), &id)) {
      return InvalidField("logit_bias", absl::StrCat("key \"", it.key(),
                                                     "\" is not a token id"));
    }
    if (!it.value().is_number()) {
      return InvalidField("logit_bias", absl::StrCat("the bias of ", it.key(),
                                                     " is no number"));
    }
    const double bias = it.value().get<double>();
    if (!(bias >= -100 && bias <= 100)) {
      return InvalidField(
          "logit_bias",
          absl::StrCat("the bias of ", it.key(), " is outside [-100, 100]"));
    }
    out->emplace_back(id, static_cast<float>(bias));
  }
  return absl::OkStatus();
}

// Refuses a field that asks for what this server does not do.
absl::Status RefuseUnless(const json& body, const char* key,
                          const std::function<bool(const json&)>& harmless,
                          absl::string_view why) {
  const json* v = FindMember(body, key);
  if (v == nullptr || harmless(*v)) return absl::OkStatus();
  return InvalidField(key, why);
}

bool IsFalse(const json& v) { return v.is_boolean() && !v.get<bool>(); }
bool IsOne(const json& v) { return v.is_number_integer() && v == 1; }

absl::Status CheckUnsupported(const json& body) {
  if (absl::Status s = RefuseUnless(body, "n", IsOne,
                                    "only n = 1 is supported (one choice)");
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          RefuseUnless(body, "best_of", IsOne, "only best_of = 1 is supported");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = RefuseUnless(body, "logprobs", IsFalse,
                                    "log probabilities are not supported");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = RefuseUnless(body, "echo", IsFalse,
                                    "echoing the prompt is not supported");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = RefuseUnless(
          body, "suffix", [](const json& v) { return v == ""; },
          "a suffix (insertion) is not supported");
      !s.ok()) {
    return s;
  }
  return RefuseUnless(
      body, "response_format",
      [](const json& v) {
        return v.is_object() && v.contains("type") && v["type"] == "text";
      },
      "only {\"type\": \"text\"} is supported (no JSON mode or schema)");
}

// A message's content: a string, or a list of {"type": "text", "text": ...}
// parts, which are joined.
absl::StatusOr<std::string> ReadContent(const json& message,
                                        const std::string& at) {
  const json* content = FindMember(message, "content");
  if (content == nullptr) return std::string();  // assistant tool calls
  if (content->is_string()) return content->get<std::string>();
  if (!content->is_array()) {
    return InvalidField(absl::StrCat(at, ".content"),
                        "must be a string or a list of text parts");
  }
  std::string text;
  for (size_t i = 0; i < content->size(); ++i) {
    const json& part = (*content)[i];
    const json* type = part.is_object() ? FindMember(part, "type") : nullptr;
    if (type == nullptr || *type != "text" || !part.contains("text") ||
        !part["text"].is_string()) {
      return InvalidField(absl::StrCat(at, ".content[", i, "]"),
                          "only {\"type\": \"text\", \"text\": ...} parts are "
                          "supported");
    }
    text += part["text"].get<std::string>();
  }
  return text;
}

absl::Status ReadMessages(const json& body, std::vector<ChatMessage>* out) {
  const json* messages = FindMember(body, "messages");
  if (messages == nullptr) return InvalidField("messages", "required");
  if (!messages->is_array()) return InvalidField("messages", "must be a list");
  if (messages->empty()) return InvalidField("messages", "empty");
  if (messages->size() > size_t{RequestLimits::kMaxChatMessages}) {
    return InvalidField("messages",
                        absl::StrCat(messages->size(), " messages; at most ",
                                     RequestLimits::kMaxChatMessages));
  }
  for (size_t i = 0; i < messages->size(); ++i) {
    const json& m = (*messages)[i];
    const std::string at = absl::StrCat("messages[", i, "]");
    if (!m.is_object()) return InvalidField(at, "must be an object");
    const json* role = FindMember(m, "role");
    if (role == nullptr || !role->is_string()) {
      return InvalidField(absl::StrCat(at, ".role"), "must be a string");
    }
    absl::StatusOr<std::string> content = ReadContent(m, at);
    if (!content.ok()) return content.status();
    ChatMessage message;
    message.role = role->get<std::string>();
    // OpenAI's newer name for the system turn.
    if (message.role == "developer") message.role = "system";
    message.content = std::move(*content);
    for (auto [key, field] :
         {std::pair{"tool_call_id", &message.tool_call_id},
          std::pair{"name", &message.name},
          std::pair{"reasoning_content", &message.reasoning_content}}) {
      const json* v = FindMember(m, key);
      if (v == nullptr) continue;
      if (!v->is_string()) {
        return InvalidField(absl::StrCat(at, ".", key), "must be a string");
      }
      *field = v->get<std::string>();
    }
    if (absl::Status s = ReadToolCalls(m, at, &message.tool_calls); !s.ok()) {
      return s;
    }
    out->push_back(std::move(message));
  }
  return absl::OkStatus();
}

// A token id list from JSON (every element an integer in int32 range).
absl::StatusOr<std::vector<int32_t>> TokenIds(const json& list,
                                              const std::string& at) {
  std::vector<int32_t> ids;
  ids.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const json& v = list[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 ||
        v.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      return InvalidField(absl::StrCat(at, "[", i, "]"),
                          "must be a token id (an integer >= 0)");
    }
    ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
  }
  return ids;
}

// prompt: a string, a list of one string, a list of token ids, or a list of
// one such list (OpenAI's batch forms, with one prompt: n = 1).
absl::Status ReadPrompt(const json& body, CompletionCall* call) {
  const json* prompt = FindMember(body, "prompt");
  if (prompt == nullptr) return InvalidField("prompt", "required");
  if (prompt->is_string()) {
    call->prompt = prompt->get<std::string>();
    if (call->prompt.empty()) return InvalidField("prompt", "empty");
    return absl::OkStatus();
  }
  if (!prompt->is_array() || prompt->empty()) {
    return InvalidField("prompt", "must be a string or a non-empty list");
  }
  const json& first = (*prompt)[0];
  if (first.is_number()) {
    absl::StatusOr<std::vector<int32_t>> ids = TokenIds(*prompt, "prompt");
    if (!ids.ok()) return ids.status();
    call->prompt_ids = std::move(*ids);
    return absl::OkStatus();
  }
  if (prompt->size() > 1) {
    return InvalidField("prompt",
                        "one prompt per request (batches are not "
                        "supported)");
  }
  if (first.is_string()) {
    call->prompt = first.get<std::string>();
    if (call->prompt.empty()) return InvalidField("prompt", "empty");
    return absl::OkStatus();
  }
  if (first.is_array() && !first.empty()) {
    absl::StatusOr<std::vector<int32_t>> ids = TokenIds(first, "prompt[0]");
    if (!ids.ok()) return ids.status();
    call->prompt_ids = std::move(*ids);
    return absl::OkStatus();
  }
  return InvalidField("prompt",
                      "must be a string, a list of token ids, or a list "
                      "of one of these");
}

absl::Status ReadGenerationFields(const json& body, GenerationFields* f) {
  absl::Status s = ReadNumber(body, "temperature", &f->temperature);
  if (s.ok()) s = ReadNumber(body, "top_p", &f->top_p);
  if (s.ok()) s = ReadNumber(body, "min_p", &f->min_p);
  if (s.ok()) s = ReadNumber(body, "presence_penalty", &f->presence_penalty);
  if (s.ok()) s = ReadNumber(body, "frequency_penalty", &f->frequency_penalty);
  if (s.ok()) {
    s = ReadNumber(body, "repetition_penalty", &f->repetition_penalty);
  }
  if (s.ok()) s = ReadInteger(body, "top_k", &f->top_k);
  std::optional<int64_t> seed;
  if (s.ok()) s = ReadInteger(body, "seed", &seed);
  if (seed) f->seed = static_cast<uint64_t>(*seed);
  if (s.ok()) s = ReadLogitBias(body, &f->logit_bias);
  if (s.ok()) s = ReadStop(body, &f->stop);
  if (s.ok()) s = ReadBool(body, "ignore_eos", &f->ignore_eos);
  // llama.cpp's server field: false keeps the request out of the prefix
  // cache.
  if (s.ok()) s = ReadBool(body, "cache_prompt", &f->prefix_cache);
  if (!s.ok()) return s;
  // max_completion_tokens is the newer name; either may be given.
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    std::optional<int64_t> max_tokens;
    if (absl::Status m = ReadInteger(body, key, &max_tokens); !m.ok()) {
      return m;
    }
    if (!max_tokens) continue;
    if (*max_tokens < 1) return InvalidField(key, "must be at least 1");
    if (!f->max_tokens) f->max_tokens = *max_tokens;
  }
  return absl::OkStatus();
}

absl::Status ReadStreamOptions(const json& body, CompletionCall* call) {
  if (absl::Status s = ReadBool(body, "stream", &call->stream); !s.ok()) {
    return s;
  }
  const json* options = FindMember(body, "stream_options");
  if (options == nullptr) return absl::OkStatus();
  if (!options->is_object()) {
    return InvalidField("stream_options", "must be an object");
  }
  if (!call->stream) {
    return InvalidField("stream_options", "only allowed with stream: true");
  }
  const json* usage = FindMember(*options, "include_usage");
  if (usage != nullptr) {
    if (!usage->is_boolean()) {
      return InvalidField("stream_options.include_usage",
                          "must be true or false");
    }
    call->include_usage = usage->get<bool>();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CompletionCall> ParseCompletionRequest(
    absl::string_view text, bool chat, int32_t default_max_tokens) {
  absl::StatusOr<json> body = ParseBodyObject(text);
  if (!body.ok()) return body.status();
  CompletionCall call;
  call.chat = chat;
  absl::Status s = ReadString(*body, "model", &call.model);
  if (s.ok()) s = CheckUnsupported(*body);
  if (s.ok()) s = ReadStreamOptions(*body, &call);
  if (s.ok())
    s = chat ? ReadMessages(*body, &call.messages) : ReadPrompt(*body, &call);
  if (s.ok() && chat) s = ReadTools(*body, &call.tools);
  if (s.ok() && chat) {
    absl::StatusOr<std::string> kwargs = ReadTemplateKwargs(*body);
    if (kwargs.ok()) {
      call.template_kwargs = std::move(*kwargs);
    } else {
      s = kwargs.status();
    }
  }
  GenerationFields fields;
  if (s.ok()) s = ReadGenerationFields(*body, &fields);
  if (!s.ok()) return s;
  absl::StatusOr<GenerateOptions> options =
      BuildGenerateOptions(fields, default_max_tokens, {});
  if (!options.ok()) return options.status();
  call.options = std::move(*options);
  return call;
}

absl::StatusOr<EmbeddingCall> ParseEmbeddingRequest(absl::string_view text) {
  absl::StatusOr<json> body = ParseBodyObject(text);
  if (!body.ok()) return body.status();
  EmbeddingCall call;
  if (absl::Status s = ReadString(*body, "model", &call.model); !s.ok())
    return s;
  if (const json* format = FindMember(*body, "encoding_format")) {
    if (*format != "float" && *format != "base64") {
      return InvalidField("encoding_format", "must be \"float\" or \"base64\"");
    }
    call.base64 = *format == "base64";
  }
  std::optional<int64_t> dimensions;
  if (absl::Status s = ReadInteger(*body, "dimensions", &dimensions); !s.ok()) {
    return s;
  }
  if (dimensions) {
    if (*dimensions < 1 || *dimensions > std::numeric_limits<int32_t>::max()) {
      return InvalidField("dimensions", "must be a positive integer");
    }
    call.dimensions = static_cast<int32_t>(*dimensions);
  }
  const json* input = FindMember(*body, "input");
  if (input == nullptr) return InvalidField("input", "required");
  EmbedRequest& r = call.request;
  r.options.normalize = true;
  if (input->is_string()) {
    r.texts.push_back(input->get<std::string>());
  } else if (!input->is_array() || input->empty()) {
    return InvalidField("input", "must be a string or a non-empty list");
  } else if ((*input)[0].is_number()) {
    absl::StatusOr<std::vector<int32_t>> ids = TokenIds(*input, "input");
    if (!ids.ok()) return ids.status();
    r.token_ids.push_back(std::move(*ids));
  } else {
    // Counted before copying.
    if (input->size() > size_t{RequestLimits::kMaxEmbedTexts}) {
      return InvalidField("input",
                          absl::StrCat(input->size(), " inputs; at most ",
                                       RequestLimits::kMaxEmbedTexts));
    }
    const bool strings = (*input)[0].is_string();
    for (size_t i = 0; i < input->size(); ++i) {
      const json& item = (*input)[i];
      const std::string at = absl::StrCat("input[", i, "]");
      if (strings) {
        if (!item.is_string()) return InvalidField(at, "must be a string");
        r.texts.push_back(item.get<std::string>());
      } else {
        if (!item.is_array() || item.empty()) {
          return InvalidField(at, "must be a non-empty list of token ids");
        }
        absl::StatusOr<std::vector<int32_t>> ids = TokenIds(item, at);
        if (!ids.ok()) return ids.status();
        r.token_ids.push_back(std::move(*ids));
      }
    }
  }
  call.inputs = static_cast<int>(r.texts.size() + r.token_ids.size());
  return call;
}

}  // namespace edgellm::server::http
