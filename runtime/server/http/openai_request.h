// OpenAI API request bodies -> the engine's requests. JSON in, and either
// what the engine runs or INVALID_ARGUMENT whose message starts with the
// parameter at fault ("temperature: ...", "messages[2].content: ..."), which
// becomes the error's `param` (openai_response.h, ParamOf).
//
// POST /v1/chat/completions and /v1/completions: model, messages / prompt,
// stream, stream_options.include_usage, temperature, top_p, max_tokens and
// max_completion_tokens, stop (a string or a list), seed, n (1 only),
// presence_penalty, frequency_penalty, logit_bias, and the llama.cpp
// server's extensions top_k, min_p, repetition_penalty, ignore_eos. The
// sampling and limit fields go through the mapping the gRPC service uses
// too (../generate_options.h).
//
// Chat requests may carry tools (`tools`, `tool_choice`, assistant messages'
// `tool_calls`, `role: "tool"` messages with `tool_call_id`, and the
// extensions `reasoning_content` on assistant messages and
// `chat_template_kwargs`): see openai_tools.h. Unknown fields are ignored,
// as clients send vendor fields of their own; known fields this server
// cannot honour (logprobs, echo, suffix, best_of > 1, response_format
// other than text, a forced tool call) are refused by name.
//
// POST /v1/embeddings: model, input (a string, a list of strings, a list of
// token ids or a list of such lists), encoding_format "float" or "base64",
// dimensions (the model's only). Vectors come back unit-length, as
// OpenAI's.
#ifndef EDGELLM_RUNTIME_SERVER_HTTP_OPENAI_REQUEST_H_
#define EDGELLM_RUNTIME_SERVER_HTTP_OPENAI_REQUEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "runtime/engine/edgellm.h"
#include "runtime/server/http/json_fields.h"  // kMaxBodyBytes

namespace edgellm::server::http {

// A parsed /v1/chat/completions (chat) or /v1/completions request.
struct CompletionCall {
  bool chat = false;
  std::string model;  // as requested; "" when not given
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  // Chat: the conversation. Completions: prompt text or token ids.
  std::vector<ChatMessage> messages;
  std::string prompt;
  std::vector<int32_t> prompt_ids;
  GenerateOptions options;
  // Chat: the tools the template renders (none when absent or
  // tool_choice is "none") and chat_template_kwargs as JSON text.
  std::vector<ChatTool> tools;
  std::string template_kwargs;
};

absl::StatusOr<CompletionCall> ParseCompletionRequest(
    absl::string_view body, bool chat, int32_t default_max_tokens);

struct EmbeddingCall {
  std::string model;
  bool base64 = false;  // encoding_format "base64"
  int inputs = 0;       // how many texts
  // Texts or token ids, normalized (OpenAI's vectors are unit-length).
  EmbedRequest request;
  int32_t dimensions = 0;  // asked for; 0 = not given
};

absl::StatusOr<EmbeddingCall> ParseEmbeddingRequest(absl::string_view body);

}  // namespace edgellm::server::http

#endif  // EDGELLM_RUNTIME_SERVER_HTTP_OPENAI_REQUEST_H_
