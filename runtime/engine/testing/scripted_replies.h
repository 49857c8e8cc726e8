// A test double for the engine: a model that answers with given text
// instead of what its (random) weights would say, so tests of Chat's
// structured output (tool calls, reasoning) and of clients' tool-calling
// round trips see a model that really calls tools. The real transformer
// still runs every forward pass; only the sampled tokens are chosen: each
// logits row is -inf but for the next token of the reply, and after the
// reply the end-of-generation token. Test-only; production code has no such
// hook.
#ifndef EDGELLM_RUNTIME_ENGINE_TESTING_SCRIPTED_REPLIES_H_
#define EDGELLM_RUNTIME_ENGINE_TESTING_SCRIPTED_REPLIES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/engine/edgellm.h"

namespace edgellm::testing {

// What the model says to a prompt containing `when_prompt_contains` (the
// prompt's text with special tokens; "" matches any prompt). The first
// matching reply wins; a prompt no reply matches gets the end-of-generation
// token at once.
struct ScriptedReply {
  std::string when_prompt_contains;
  // Encoded with the model's tokenizer, special-token text recognised.
  std::string reply;
};

// Engine::Load, with every generation answering from `replies`.
absl::StatusOr<std::unique_ptr<Engine>> LoadEngineWithScriptedReplies(
    const EngineOptions& options, std::vector<ScriptedReply> replies);

// Replies from a JSON file: [{"when_prompt_contains": "...", "reply": "..."},
// ...].
absl::StatusOr<std::vector<ScriptedReply>> ReadScriptedReplies(
    const std::string& path);

}  // namespace edgellm::testing

#endif  // EDGELLM_RUNTIME_ENGINE_TESTING_SCRIPTED_REPLIES_H_
