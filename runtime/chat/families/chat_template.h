// Chat templates: turn a list of chat messages into the prompt text a model
// was fine-tuned on.
//
// GGUF files carry the Hugging Face Jinja2 template in the metadata key
// `tokenizer.chat_template`. We do not run Jinja. Like llama.cpp's
// llama_chat_apply_template (src/llama-chat.cpp), we recognise the template
// family from distinctive substrings of the Jinja text and render it with
// hand-written code per family. The renderers follow what the published
// templates produce under Hugging Face's `apply_chat_template` (Jinja with
// trim_blocks and lstrip_blocks), with two deliberate extensions where the
// published template would raise an exception: a system message is folded
// into the first user turn for families without a system role (Gemma,
// Mistral pre-v1), as llama.cpp does.
//
// Text only: the result contains special tokens as text ("<|im_start|>",
// "</s>", ...). Tokenize it with special-token parsing enabled and WITHOUT
// adding BOS automatically; `bos_text` places BOS exactly where the model's
// template puts `bos_token`.
//
// All functions are pure and thread-safe.
#ifndef EDGELLM_RUNTIME_CHAT_FAMILIES_CHAT_TEMPLATE_H_
#define EDGELLM_RUNTIME_CHAT_FAMILIES_CHAT_TEMPLATE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace edgellm::chat {

// One turn of a conversation. `role` is "system", "user" or "assistant".
struct ChatMessage {
  std::string role;
  std::string content;
};

// The prompt formats we can render. Names (for --chat-template) in brackets.
enum class ChatTemplateFamily {
  // <|im_start|>role\n...<|im_end|>\n  (OpenHermes, Qwen 1.5/2/2.5,
  // SmolLM/SmolLM2, Dolphin, ...) ["chatml"; aliases "qwen", "smollm"]
  kChatMl,
  // Meta Llama 2 chat: <s>[INST] <<SYS>>\n...\n<</SYS>>\n\n... [/INST] ...
  // BOS opens every user turn. ["llama2"]
  kLlama2,
  // Meta Llama 3 / 3.x: <|start_header_id|>role<|end_header_id|>\n\n...
  // <|eot_id|> ["llama3"]
  kLlama3,
  // Mistral-7B-Instruct v0.1/v0.2, Mixtral (no system role; folded into the
  // first user turn): [INST] ... [/INST]...</s> ["mistral"]
  kMistralV0,
  // Mistral "v1" (system in first user turn, leading spaces) ["mistral-v1"]
  kMistralV1,
  // Mistral "v3" (system in last user turn) ["mistral-v3"]
  kMistralV3,
  // Mistral "v3-tekken" (v3 without spaces, e.g. Nemo) ["mistral-v3-tekken"]
  kMistralV3Tekken,
  // Mistral "v7": [SYSTEM_PROMPT] ...[/SYSTEM_PROMPT] ["mistral-v7"]
  kMistralV7,
  // Zephyr / TinyLlama chat: <|user|>\n...</s>\n ["zephyr"]
  kZephyr,
  // Gemma 1/2/3: <start_of_turn>user\n...<end_of_turn>\n, role "model",
  // system folded into the first user turn ["gemma"]
  kGemma,
  // Phi-3 / Phi-3.5: <|user|>\n...<|end|>\n<|assistant|>\n ["phi3"]
  kPhi3,
  // Phi-4: <|im_start|>role<|im_sep|>...<|im_end|> ["phi4"]
  kPhi4,
  // Phi-4-mini: <|user|>...<|end|><|assistant|>, Phi-3's tags without the
  // newlines ["phi4-mini"]
  kPhi4Mini,
};

// The canonical name of a family, e.g. "chatml".
std::string_view ChatTemplateFamilyName(ChatTemplateFamily family);

// Canonical names of all families, comma-separated, for help and errors.
std::string SupportedChatTemplateNames();

// Looks up a family by name (canonical or alias, case-sensitive), e.g. the
// value of `--chat-template`. INVALID_ARGUMENT listing the names otherwise.
absl::StatusOr<ChatTemplateFamily> ChatTemplateFamilyFromName(
    std::string_view name);

// Recognises the family of a Jinja chat template (the GGUF
// `tokenizer.chat_template` text). A bare family name is accepted too, so
// one string can carry either. INVALID_ARGUMENT if the template is empty or
// not recognised; the message lists the supported families and says that
// --chat-template can override.
absl::StatusOr<ChatTemplateFamily> DetectChatTemplate(
    std::string_view jinja_template);

// The system prompt a ChatML-style template inserts when the conversation
// has none (Qwen: "You are Qwen, created by Alibaba Cloud. ...", SmolLM2:
// "You are a helpful AI assistant named SmolLM, ..."), or nullopt if the
// template has no such default. Callers prepend it as a system message when
// the request has none, to match what the model was trained with.
std::optional<std::string> DefaultSystemPrompt(std::string_view jinja_template);

// Renders `messages` in `family`'s format. With `add_generation_prompt` the
// result ends with the header of an assistant turn so the model continues
// as the assistant (families whose prompt already ends that way, such as
// Llama 2 and Mistral, ignore it). `bos_text` (e.g. "<s>", "<bos>",
// "<|begin_of_text|>", or "") is emitted where the family's template emits
// `bos_token`. End-of-turn markers that the templates take from `eos_token`
// are the families' fixed tokens ("</s>" for Llama 2, Mistral and Zephyr).
//
// INVALID_ARGUMENT, naming the message index, for: an empty message list, a
// role other than system/user/assistant, a system message that is not first
// in families that fold it into a user turn, a system message with no user
// message to fold into, or an unsupported family value.
absl::StatusOr<std::string> RenderChat(ChatTemplateFamily family,
                                       const std::vector<ChatMessage>& messages,
                                       bool add_generation_prompt,
                                       std::string_view bos_text);

}  // namespace edgellm::chat

#endif  // EDGELLM_RUNTIME_CHAT_FAMILIES_CHAT_TEMPLATE_H_
