// The chat prompt of a Chat request: the conversation, its tools and
// template variables rendered with the model's own Jinja chat template, the
// way Hugging Face's apply_chat_template renders it (runtime/chat/jinja), or
// with a hand-written template family (runtime/chat/families) for files
// without a template.
//
// What the template sees, for a ChatRequest (edgellm.h):
//   messages               [{"role", "tool_call_id"?, "name"?, "content",
//                            "reasoning_content"?, "tool_calls"?}, ...]
//                          with content a string or the list of parts, and
//                          tool_calls [{"id"?, "type": "function",
//                          "function": {"name", "arguments"}}] whose
//                          arguments are the parsed JSON object
//   tools                  [{"type": "function", "function": {"name",
//                            "description"?, "parameters"?}}], only when the
//                          request has tools (as llama.cpp leaves it)
//   add_generation_prompt  the request's
//   bos_token, eos_token   the vocabulary's texts of BOS and EOS, if any
//   ...                    the entries of template_kwargs
// (`?` = left out when empty.)
//
// Thread safety: immutable after creation; Render may run on any number of
// threads at once.
#ifndef EDGELLM_RUNTIME_ENGINE_CHAT_PROMPT_H_
#define EDGELLM_RUNTIME_ENGINE_CHAT_PROMPT_H_

#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runtime/chat/families/chat_template.h"
#include "runtime/chat/jinja/template.h"
#include "runtime/engine/edgellm.h"

namespace edgellm::engine {

// The vocabulary's special-token texts the template may place.
struct ChatTokens {
  std::optional<std::string> bos;
  std::optional<std::string> eos;
};

// The template variables of `request` (see above). INVALID_ARGUMENT naming
// the field for a request the template must not see: no messages or too
// many, an empty role, content given both ways, a tool call or tool without
// a name, parameters or template_kwargs that are not a JSON object (or
// nest deeper than RequestLimits::kMaxJsonDepth), template_kwargs setting
// messages, tools or add_generation_prompt.
absl::StatusOr<nlohmann::ordered_json> ChatTemplateContext(
    const ChatRequest& request, const ChatTokens& tokens);

// The request's tools as an OpenAI "tools" JSON array (for the output
// parser, which types argument values by their schema); "" without tools.
// Call after ChatTemplateContext accepted the request.
std::string ToolsJson(const ChatRequest& request);

// Where the prompt format comes from (ModelInfo::chat_template_source).
enum class ChatPromptSource { kNone, kModel, kFile, kFamily };
std::string_view ChatPromptSourceName(ChatPromptSource source);

// What the engine knows at load time to choose the prompt format.
struct ChatPromptInputs {
  // EngineOptions::chat_template: a family name or a Jinja file path.
  std::string override_option;
  // The file's tokenizer.chat_template, and its named "tool_use" template
  // (tokenizer.chat_template.tool_use), which Hugging Face picks when the
  // request has tools.
  std::optional<std::string> model_template;
  std::optional<std::string> model_tool_use_template;
  ChatTokens tokens;
  // The family every model of the architecture uses
  // (ArchitectureDescription::default_chat_template), for files without a
  // template; "" when the architecture has none.
  std::string architecture_family;
};

class ChatPrompt {
 public:
  // Decides the format: the override (a family by name, else a Jinja file,
  // read and parsed now), else the model's template, else the
  // architecture's family, else none. A model
  // template that does not parse falls back to the family it is recognised
  // as, else leaves Chat unavailable with the parse error. Fails
  // (INVALID_ARGUMENT starting "chat_template: ") only for an override that
  // is neither a family nor a readable Jinja file that parses.
  static absl::StatusOr<ChatPrompt> Create(const ChatPromptInputs& inputs);
  // A Jinja template given as text (tests, tools).
  static absl::StatusOr<ChatPrompt> FromJinja(std::string_view source,
                                              ChatPromptSource origin,
                                              const ChatTokens& tokens);

  // The prompt text (special tokens as text). FAILED_PRECONDITION when
  // there is no format (error()); INVALID_ARGUMENT for a bad request (see
  // ChatTemplateContext) or an error the template raises ("messages: the
  // chat template failed at line L, column C: TemplateError: ...").
  absl::StatusOr<std::string> Render(const ChatRequest& request) const;

  ChatPromptSource source() const { return source_; }
  // "jinja", a family name, or "" (none).
  std::string name() const;
  // Why there is no format, or why the model's template was not used.
  const std::string& error() const { return error_; }
  // The Jinja source rendered (for output-format detection); "" for a
  // family.
  const std::string& template_source() const { return jinja_source_; }

  // strftime_now's clock (tests); the system's local time by default.
  void set_clock(std::function<std::tm()> now) { now_ = std::move(now); }

 private:
  ChatPrompt() = default;
  absl::StatusOr<std::string> RenderFamily(const ChatRequest& request) const;

  ChatPromptSource source_ = ChatPromptSource::kNone;
  std::string error_;
  ChatTokens tokens_;
  std::string jinja_source_;
  std::optional<chat::jinja::Template> jinja_;
  std::optional<chat::jinja::Template> tool_use_jinja_;
  std::optional<chat::ChatTemplateFamily> family_;
  std::optional<std::string> default_system_prompt_;
  std::function<std::tm()> now_;
};

}  // namespace edgellm::engine

#endif  // EDGELLM_RUNTIME_ENGINE_CHAT_PROMPT_H_
