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
// `tools`, `tool_choice` and `parallel_tool_calls` are accepted and checked
// for shape, and kept (CompletionCall::tools) for the engine's tool calling;
// until the engine renders tools into the prompt, a request that requires a
// tool call (tool_choice "required" or a named function) is refused, and
// others are answered with text. Unknown fields are ignored, as clients
// send vendor fields of their own; known fields this server cannot honour
// (logprobs, echo, suffix, best_of > 1, response_format other than text)
// are refused by name.
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

namespace edgellm::server::http {

// Bodies larger than this are refused before parsing (413).
inline constexpr size_t kMaxBodyBytes = size_t{8} << 20;

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
  // The request's `tools` (a JSON array of {"type": "function", ...}) and
  // `tool_choice` ("auto" when not given), kept for the engine's tool
  // calling; empty / "auto" when absent.
  nlohmann::json tools = nlohmann::json::array();
  nlohmann::json tool_choice = "auto";
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
