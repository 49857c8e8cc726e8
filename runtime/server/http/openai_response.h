// The engine's results and errors as OpenAI API responses: completion and
// chat completion objects, their streamed chunks (server-sent events),
// embedding lists, the model list, and `{"error": {...}}` bodies with the
// HTTP status that fits the engine's status code.
#ifndef EDGELLM_RUNTIME_SERVER_HTTP_OPENAI_RESPONSE_H_
#define EDGELLM_RUNTIME_SERVER_HTTP_OPENAI_RESPONSE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "runtime/engine/edgellm.h"

namespace edgellm::server::http {

// INVALID_ARGUMENT, FAILED_PRECONDITION and OUT_OF_RANGE 400,
// UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404,
// RESOURCE_EXHAUSTED 429 (the wait queue is full), UNAVAILABLE 503 (loading,
// draining), DEADLINE_EXCEEDED 504, UNIMPLEMENTED 501, CANCELLED 499 (the
// client left; nginx's code), others 500.
int HttpStatusOf(absl::StatusCode code);

// The request parameter an error names: the message's leading field, in
// the OpenAI body's terms ("sampling.top_p: ..." -> "top_p",
// "messages[2].content: ..." -> "messages", "texts[1]: ..." -> "input").
// "" when the message names none.
std::string ParamOf(absl::string_view message);

// {"error": {"message", "type", "param", "code"}} for `status` (not OK).
// `type` is invalid_request_error (4xx), authentication_error (401),
// rate_limit_error (429) or server_error (5xx); `param` is ParamOf (4xx) or
// null; `code` names a few cases ("model_not_found", "queue_full", ...).
nlohmann::json ErrorJson(const absl::Status& status);

// "stop" (a stop string, end of generation), "length" (max_tokens,
// context full), "tool_calls" (the turn ended after calling tools), or ""
// while running or when cancelled.
absl::string_view FinishReasonOf(FinishReason reason);

// {"prompt_tokens", "completion_tokens", "total_tokens"}.
nlohmann::json UsageJson(const RequestStats& stats);

// A chat reply's parts, as the engine's Chat stream parses them.
struct ChatReplyParts {
  std::string content;
  std::string reasoning;
  std::vector<ToolCall> tool_calls;
};

// OpenAI's form of a call: {"index"?, "id", "type": "function", "function":
// {"name", "arguments"}}; `index` only in streamed deltas.
nlohmann::json ToolCallJson(const ToolCall& call, bool with_index);

// Builds the responses of one completion: ids and timestamps fixed at
// construction, chat ("chat.completion[.chunk]") or text ("text_completion").
class CompletionFormatter {
 public:
  CompletionFormatter(bool chat, uint64_t request_id, std::string model,
                      absl::Time created);

  // A streamed chunk carrying `text`; the first chat chunk also carries
  // the assistant role.
  nlohmann::json TextChunk(absl::string_view text);
  // A chat chunk whose delta carries what one token released: "content",
  // "reasoning_content" and "tool_calls", each only when non-empty.
  nlohmann::json DeltaChunk(const ChatReplyParts& delta);
  // The chunk that ends the choice: an empty delta and `finish`.
  nlohmann::json FinishChunk(FinishReason finish) const;
  // With stream_options.include_usage: the last chunk, no choices.
  nlohmann::json UsageChunk(const RequestStats& stats) const;
  // The whole (non-streamed) response.
  nlohmann::json Complete(absl::string_view text, FinishReason finish,
                          const RequestStats& stats) const;
  // The whole chat response: message.content (null when the reply only
  // calls tools, as OpenAI's), message.tool_calls and reasoning_content
  // when there are any.
  nlohmann::json CompleteChat(const ChatReplyParts& reply, FinishReason finish,
                              const RequestStats& stats) const;
  bool chat() const { return chat_; }
  // Whether chunks carry "usage": null (stream_options.include_usage).
  void set_include_usage(bool include) { include_usage_ = include; }

 private:
  nlohmann::json Envelope(bool chunk) const;
  nlohmann::json Choice(absl::string_view text, const char* finish,
                        bool chunk) const;

  const bool chat_;
  const std::string id_;
  const std::string model_;
  const int64_t created_;
  bool include_usage_ = false;
  bool role_sent_ = false;
};

// One server-sent event: "data: <json>\n\n".
std::string SseEvent(const nlohmann::json& data);
inline constexpr absl::string_view kSseDone = "data: [DONE]\n\n";

// {"object": "list", "data": [{"object": "embedding", "index", "embedding"}],
// "model", "usage"}; each vector a float list or, with `base64`, the base64
// of its little-endian float32 bytes.
nlohmann::json EmbeddingsJson(const std::vector<std::vector<float>>& vectors,
                              bool base64, const std::string& model,
                              int64_t prompt_tokens);

// One entry of GET /v1/models.
nlohmann::json ModelJson(const std::string& model, absl::Time created);

// JSON text that never throws: invalid UTF-8 becomes U+FFFD.
std::string Dump(const nlohmann::json& value);

}  // namespace edgellm::server::http

#endif  // EDGELLM_RUNTIME_SERVER_HTTP_OPENAI_RESPONSE_H_
