#include "runtime/server/http/openai_response.h"

#include <bit>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace edgellm::server::http {
namespace {

using nlohmann::json;

// The engine's field names that the OpenAI body calls otherwise.
std::string OpenAiName(absl::string_view field) {
  if (field == "texts" || field == "token_ids") return "input";
  if (field == "prompt_ids") return "prompt";
  if (field == "template_kwargs") return "chat_template_kwargs";
  return std::string(field);
}

const char* ErrorType(int http_status) {
  if (http_status == 401) return "authentication_error";
  if (http_status == 429) return "rate_limit_error";
  if (http_status >= 500) return "server_error";
  return "invalid_request_error";
}

const char* ErrorCode(absl::StatusCode code, absl::string_view message) {
  switch (code) {
    case absl::StatusCode::kUnauthenticated:
      return "invalid_api_key";
    case absl::StatusCode::kNotFound:
      return absl::StartsWith(message, "model:") ? "model_not_found"
                                                 : "not_found";
    case absl::StatusCode::kResourceExhausted:
      return "queue_full";
    case absl::StatusCode::kUnavailable:
      return "unavailable";
    case absl::StatusCode::kDeadlineExceeded:
      return "timeout";
    default:
      return nullptr;
  }
}

}  // namespace

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string ParamOf(absl::string_view message) {
  const size_t colon = message.find(':');
  if (colon == absl::string_view::npos) return "";
  absl::string_view field = message.substr(0, colon);
  if (field.empty() || absl::StrContains(field, " ")) return "";
  for (absl::string_view prefix : {"sampling.", "limits."}) {
    if (absl::StartsWith(field, prefix)) field.remove_prefix(prefix.size());
  }
  // "messages[2].content" -> "messages"; "stop[1]" -> "stop".
  field = field.substr(0, field.find_first_of(".["));
  for (char c : field) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return "";
    }
  }
  return OpenAiName(field);
}

json ErrorJson(const absl::Status& status) {
  const int http = HttpStatusOf(status.code());
  const std::string param =
      http >= 400 && http < 500 ? ParamOf(status.message()) : "";
  const char* code = ErrorCode(status.code(), status.message());
  json error = {
      {"message", std::string(status.message())},
      {"type", ErrorType(http)},
      {"param", param.empty() ? json(nullptr) : json(param)},
      {"code", code != nullptr ? json(code) : json(nullptr)},
  };
  return {{"error", std::move(error)}};
}

absl::string_view FinishReasonOf(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
    case FinishReason::kEndOfGeneration:
      return "stop";
    case FinishReason::kLength:
    case FinishReason::kContextFull:
      return "length";
    case FinishReason::kToolCalls:
      return "tool_calls";
    case FinishReason::kCancelled:
    case FinishReason::kNone:
      break;
  }
  return "";
}

json UsageJson(const RequestStats& stats) {
  json usage = {{"prompt_tokens", stats.prompt_tokens},
                {"completion_tokens", stats.generated_tokens},
                {"total_tokens", stats.prompt_tokens + stats.generated_tokens}};
  // OpenAI's field for prompt tokens served from the prefix cache.
  if (stats.cached_prompt_tokens > 0) {
    usage["prompt_tokens_details"] = {
        {"cached_tokens", stats.cached_prompt_tokens}};
  }
  // serve --context-shift: the conversation outgrew the context.
  if (stats.context_shifts > 0) {
    usage["context_shifts"] = stats.context_shifts;
    usage["context_shift_dropped_tokens"] = stats.context_shift_dropped_tokens;
  }
  return usage;
}

CompletionFormatter::CompletionFormatter(bool chat, uint64_t request_id,
                                         std::string model, absl::Time created)
    : chat_(chat),
      id_(absl::StrCat(chat ? "chatcmpl-" : "cmpl-", request_id)),
      model_(std::move(model)),
      created_(absl::ToUnixSeconds(created)) {}

json CompletionFormatter::Envelope(bool chunk) const {
  const char* object =
      chat_ ? (chunk ? "chat.completion.chunk" : "chat.completion")
            : "text_completion";
  return {{"id", id_},
          {"object", object},
          {"created", created_},
          {"model", model_},
          {"system_fingerprint", nullptr}};
}

json CompletionFormatter::Choice(absl::string_view text, const char* finish,
                                 bool chunk) const {
  json choice = {{"index", 0}, {"logprobs", nullptr}};
  const json reason = finish != nullptr ? json(finish) : json(nullptr);
  if (!chat_) {
    choice["text"] = std::string(text);
  } else if (chunk) {
    choice["delta"] = json::object();
    if (!text.empty() || !role_sent_) {
      choice["delta"]["content"] = std::string(text);
    }
  } else {
    choice["message"] = {{"role", "assistant"},
                         {"content", std::string(text)},
                         {"refusal", nullptr}};
  }
  choice["finish_reason"] = reason;
  return choice;
}

json CompletionFormatter::TextChunk(absl::string_view text) {
  json chunk = Envelope(true);
  json choice = Choice(text, nullptr, true);
  if (chat_ && !role_sent_) {
    choice["delta"]["role"] = "assistant";
    role_sent_ = true;
  }
  chunk["choices"] = json::array({std::move(choice)});
  if (include_usage_) chunk["usage"] = nullptr;
  return chunk;
}

json CompletionFormatter::DeltaChunk(const ChatReplyParts& delta) {
  json chunk = TextChunk(delta.content);
  json& d = chunk["choices"][0]["delta"];
  // TextChunk writes content when it is empty only for the role's chunk.
  if (delta.content.empty() && !d.contains("role")) d.erase("content");
  if (!delta.reasoning.empty()) d["reasoning_content"] = delta.reasoning;
  if (!delta.tool_calls.empty()) {
    json calls = json::array();
    for (const ToolCall& c : delta.tool_calls) {
      calls.push_back(ToolCallJson(c, /*with_index=*/true));
    }
    d["tool_calls"] = std::move(calls);
  }
  return chunk;
}

json CompletionFormatter::FinishChunk(FinishReason finish) const {
  json chunk = Envelope(true);
  json choice = Choice("", std::string(FinishReasonOf(finish)).c_str(), true);
  if (chat_) choice["delta"] = json::object();
  chunk["choices"] = json::array({std::move(choice)});
  if (include_usage_) chunk["usage"] = nullptr;
  return chunk;
}

json CompletionFormatter::UsageChunk(const RequestStats& stats) const {
  json chunk = Envelope(true);
  chunk["choices"] = json::array();
  chunk["usage"] = UsageJson(stats);
  return chunk;
}

json CompletionFormatter::Complete(absl::string_view text, FinishReason finish,
                                   const RequestStats& stats) const {
  json response = Envelope(false);
  response["choices"] = json::array(
      {Choice(text, std::string(FinishReasonOf(finish)).c_str(), false)});
  response["usage"] = UsageJson(stats);
  return response;
}

json CompletionFormatter::CompleteChat(const ChatReplyParts& reply,
                                       FinishReason finish,
                                       const RequestStats& stats) const {
  json response = Complete(reply.content, finish, stats);
  json& message = response["choices"][0]["message"];
  if (!reply.reasoning.empty()) message["reasoning_content"] = reply.reasoning;
  if (!reply.tool_calls.empty()) {
    if (reply.content.empty()) message["content"] = nullptr;
    json calls = json::array();
    for (const ToolCall& c : reply.tool_calls) {
      calls.push_back(ToolCallJson(c, /*with_index=*/false));
    }
    message["tool_calls"] = std::move(calls);
  }
  return response;
}

json ToolCallJson(const ToolCall& call, bool with_index) {
  json j = json::object();
  if (with_index) j["index"] = call.index;
  j["id"] = call.id;
  j["type"] = "function";
  j["function"] = {{"name", call.name}, {"arguments", call.arguments}};
  return j;
}

std::string SseEvent(const json& data) {
  return absl::StrCat("data: ", Dump(data), "\n\n");
}

json EmbeddingsJson(const std::vector<std::vector<float>>& vectors, bool base64,
                    const std::string& model, int64_t prompt_tokens) {
  json data = json::array();
  for (size_t i = 0; i < vectors.size(); ++i) {
    json item = {{"object", "embedding"}, {"index", i}};
    if (base64) {
      // OpenAI's base64 form: the float32 values' bytes, little-endian.
      static_assert(std::endian::native == std::endian::little,
                    "base64 embeddings are little-endian float32 bytes");
      std::string bytes(vectors[i].size() * sizeof(float), '\0');
      std::memcpy(bytes.data(), vectors[i].data(), bytes.size());
      item["embedding"] = absl::Base64Escape(bytes);
    } else {
      item["embedding"] = vectors[i];
    }
    data.push_back(std::move(item));
  }
  return {
      {"object", "list"},
      {"data", std::move(data)},
      {"model", model},
      {"usage",
       {{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}}}};
}

json ModelJson(const std::string& model, absl::Time created) {
  return {{"id", model},
          {"object", "model"},
          {"created", absl::ToUnixSeconds(created)},
          {"owned_by", "edgellm"}};
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace edgellm::server::http
