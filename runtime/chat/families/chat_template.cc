#include "runtime/chat/families/chat_template.h"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace edgellm::chat {
namespace {

// Debian's abseil is built with its own absl::string_view (not
// std::string_view), so absl::StrCat does not take our std::string_view
// arguments; these two helpers do the concatenation instead.
template <typename... Parts>
void Append(std::string& out, const Parts&... parts) {
  (out.append(std::string_view(parts)), ...);
}

template <typename... Parts>
std::string Cat(const Parts&... parts) {
  std::string out;
  Append(out, parts...);
  return out;
}

struct FamilyName {
  std::string_view name;
  ChatTemplateFamily family;
};

// Canonical names first (one per family, in enum order), then aliases. The
// canonical names match llama.cpp's `--chat-template` names where both exist.
constexpr std::array<FamilyName, 15> kNames = {{
    {"chatml", ChatTemplateFamily::kChatMl},
    {"llama2", ChatTemplateFamily::kLlama2},
    {"llama3", ChatTemplateFamily::kLlama3},
    {"mistral", ChatTemplateFamily::kMistralV0},
    {"mistral-v1", ChatTemplateFamily::kMistralV1},
    {"mistral-v3", ChatTemplateFamily::kMistralV3},
    {"mistral-v3-tekken", ChatTemplateFamily::kMistralV3Tekken},
    {"mistral-v7", ChatTemplateFamily::kMistralV7},
    {"zephyr", ChatTemplateFamily::kZephyr},
    {"gemma", ChatTemplateFamily::kGemma},
    {"phi3", ChatTemplateFamily::kPhi3},
    {"phi4", ChatTemplateFamily::kPhi4},
    {"phi4-mini", ChatTemplateFamily::kPhi4Mini},
    {"qwen", ChatTemplateFamily::kChatMl},
    {"smollm", ChatTemplateFamily::kChatMl},
}};
constexpr size_t kNumFamilies = 13;

// The end-of-sequence text the Llama 2, Mistral and Zephyr templates append
// via `eos_token`; all of these models use "</s>" (tokenizer_config.json).
constexpr std::string_view kEos = "</s>";

// Python's str.strip() / Jinja's `trim` on ASCII whitespace.
std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\v\f";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

enum class Role { kSystem, kUser, kAssistant };

struct Turn {
  Role role;
  std::string_view content;
};

absl::StatusOr<std::vector<Turn>> ParseRoles(
    const std::vector<ChatMessage>& messages) {
  if (messages.empty()) {
    return absl::InvalidArgumentError(
        "chat has no messages; at least one message is required");
  }
  std::vector<Turn> turns;
  turns.reserve(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& role = messages[i].role;
    Role r;
    if (role == "system") {
      r = Role::kSystem;
    } else if (role == "user") {
      r = Role::kUser;
    } else if (role == "assistant") {
      r = Role::kAssistant;
    } else {
      return absl::InvalidArgumentError(
          Cat("message ", std::to_string(i), " has unknown role \"", role,
              "\"; supported roles are system, user, assistant"));
    }
    turns.push_back({r, messages[i].content});
  }
  return turns;
}

// For families whose template has no system role of its own: takes the
// leading system message off `turns` (returned in `system`) and checks there
// is no other one and a user turn to fold it into.
absl::Status SplitLeadingSystem(ChatTemplateFamily family,
                                std::vector<Turn>& turns,
                                std::optional<std::string_view>& system) {
  system.reset();
  for (size_t i = 1; i < turns.size(); ++i) {
    if (turns[i].role == Role::kSystem) {
      return absl::InvalidArgumentError(
          Cat("message ", std::to_string(i), " is a system message; the ",
              ChatTemplateFamilyName(family),
              " template supports a system message only as the first message"));
    }
  }
  if (turns.front().role != Role::kSystem) return absl::OkStatus();
  system = turns.front().content;
  turns.erase(turns.begin());
  for (const Turn& t : turns) {
    if (t.role == Role::kUser) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      Cat("message 0 is a system message but no user message follows; the ",
          ChatTemplateFamilyName(family),
          " template folds the system message into a user turn"));
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kSystem:
      return "system";
    case Role::kUser:
      return "user";
    case Role::kAssistant:
      return "assistant";
  }
  return "";
}

// ChatML; Phi-4 is ChatML with <|im_sep|> after the role instead of "\n".
std::string RenderChatMl(const std::vector<Turn>& turns, bool gen,
                         std::string_view role_end, std::string_view turn_end) {
  std::string out;
  for (const Turn& t : turns) {
    Append(out, "<|im_start|>", RoleName(t.role), role_end, t.content,
           turn_end);
  }
  if (gen) Append(out, "<|im_start|>assistant", role_end);
  return out;
}

// meta-llama/Llama-2-*-chat-hf: BOS before every [INST], contents stripped,
// the system prompt wrapped in <<SYS>> at the start of the first user turn.
std::string RenderLlama2(const std::vector<Turn>& turns,
                         std::optional<std::string_view> system,
                         std::string_view bos) {
  std::string out;
  bool first_user = true;
  for (const Turn& t : turns) {
    if (t.role == Role::kUser) {
      std::string content(t.content);
      if (first_user && system.has_value()) {
        content = Cat("<<SYS>>\n", *system, "\n<</SYS>>\n\n", content);
      }
      first_user = false;
      Append(out, bos, "[INST] ", Trim(content), " [/INST]");
    } else {
      Append(out, " ", Trim(t.content), " ", kEos);
    }
  }
  return out;
}

std::string RenderLlama3(const std::vector<Turn>& turns, bool gen,
                         std::string_view bos) {
  std::string out(bos);
  for (const Turn& t : turns) {
    Append(out, "<|start_header_id|>", RoleName(t.role),
           "<|end_header_id|>\n\n", Trim(t.content), "<|eot_id|>");
  }
  if (gen) Append(out, "<|start_header_id|>assistant<|end_header_id|>\n\n");
  return out;
}

// Mistral v0 (pre-v1), v1, v3 and v3-tekken differ in spacing, in which user
// turn carries the system prompt, and in trimming of assistant turns. See
// https://github.com/mistralai/cookbook (concept-deep-dive/tokenization).
std::string RenderMistral(ChatTemplateFamily family,
                          const std::vector<Turn>& turns,
                          std::optional<std::string_view> system,
                          std::string_view bos) {
  std::string_view inst_open = "[INST] ";
  std::string_view inst_close = " [/INST]";
  std::string_view assistant_prefix = "";
  std::string_view system_sep = "\n\n";
  bool system_in_last_user = false;
  bool trim_assistant = false;
  switch (family) {
    case ChatTemplateFamily::kMistralV0:
      system_sep = "\n";
      break;
    case ChatTemplateFamily::kMistralV1:
      inst_open = " [INST] ";
      assistant_prefix = " ";
      break;
    case ChatTemplateFamily::kMistralV3:
      inst_close = "[/INST]";
      assistant_prefix = " ";
      system_in_last_user = true;
      trim_assistant = true;
      break;
    default:  // kMistralV3Tekken
      inst_open = "[INST]";
      inst_close = "[/INST]";
      system_in_last_user = true;
      break;
  }
  size_t system_turn = turns.size();
  if (system.has_value()) {
    for (size_t i = 0; i < turns.size(); ++i) {
      if (turns[i].role != Role::kUser) continue;
      system_turn = i;
      if (!system_in_last_user) break;
    }
  }
  std::string out(bos);
  for (size_t i = 0; i < turns.size(); ++i) {
    const Turn& t = turns[i];
    if (t.role == Role::kUser) {
      out += inst_open;
      if (i == system_turn) Append(out, *system, system_sep);
      Append(out, t.content, inst_close);
    } else {
      Append(out, assistant_prefix,
             trim_assistant ? Trim(t.content) : t.content, kEos);
    }
  }
  return out;
}

std::string RenderMistralV7(const std::vector<Turn>& turns,
                            std::string_view bos) {
  std::string out(bos);
  for (const Turn& t : turns) {
    switch (t.role) {
      case Role::kSystem:
        Append(out, "[SYSTEM_PROMPT] ", t.content, "[/SYSTEM_PROMPT]");
        break;
      case Role::kUser:
        Append(out, "[INST] ", t.content, "[/INST]");
        break;
      case Role::kAssistant:
        Append(out, " ", t.content, kEos);
        break;
    }
  }
  return out;
}

// Zephyr (eos after every turn) and Phi-3 (<|end|> after every turn) share
// the <|role|>\n header; Phi-4-mini has the same tags with `newline` "".
std::string RenderPipeRoles(const std::vector<Turn>& turns, bool gen,
                            std::string_view bos, std::string_view turn_end,
                            std::string_view newline = "\n") {
  std::string out(bos);
  for (const Turn& t : turns) {
    Append(out, "<|", RoleName(t.role), "|>", newline, t.content, turn_end,
           newline);
  }
  if (gen) Append(out, "<|assistant|>", newline);
  return out;
}

// Gemma has roles user and model only; the system prompt goes at the start
// of the first user turn followed by a blank line, as Gemma 3's own template
// does (and llama.cpp for Gemma 1/2). Contents are trimmed (`| trim`).
std::string RenderGemma(const std::vector<Turn>& turns,
                        std::optional<std::string_view> system, bool gen,
                        std::string_view bos) {
  std::string out(bos);
  for (const Turn& t : turns) {
    const bool user = t.role == Role::kUser;
    Append(out, "<start_of_turn>", user ? "user" : "model", "\n");
    if (user && system.has_value()) {
      Append(out, Trim(*system), "\n\n");
      system.reset();
    }
    Append(out, Trim(t.content), "<end_of_turn>\n");
  }
  if (gen) out += "<start_of_turn>model\n";
  return out;
}

bool FoldsSystem(ChatTemplateFamily family) {
  switch (family) {
    case ChatTemplateFamily::kLlama2:
    case ChatTemplateFamily::kMistralV0:
    case ChatTemplateFamily::kMistralV1:
    case ChatTemplateFamily::kMistralV3:
    case ChatTemplateFamily::kMistralV3Tekken:
    case ChatTemplateFamily::kGemma:
      return true;
    default:
      return false;
  }
}

absl::Status UnrecognizedTemplateError(std::string_view what) {
  return absl::InvalidArgumentError(
      Cat(what,
          "; supported chat template families: ", SupportedChatTemplateNames(),
          ". Pass --chat-template=<name> to choose one explicitly."));
}

}  // namespace

std::string_view ChatTemplateFamilyName(ChatTemplateFamily family) {
  for (size_t i = 0; i < kNumFamilies; ++i) {
    if (kNames[i].family == family) return kNames[i].name;
  }
  return "unknown";
}

std::string SupportedChatTemplateNames() {
  std::string names;
  for (size_t i = 0; i < kNumFamilies; ++i) {
    Append(names, i == 0 ? "" : ", ", kNames[i].name);
  }
  return names;
}

absl::StatusOr<ChatTemplateFamily> ChatTemplateFamilyFromName(
    std::string_view name) {
  for (const FamilyName& entry : kNames) {
    if (entry.name == name) return entry.family;
  }
  return absl::InvalidArgumentError(
      Cat("unknown chat template name \"", name, "\"; known names: ",
          SupportedChatTemplateNames(), " (aliases: qwen, smollm = chatml)"));
}

absl::StatusOr<ChatTemplateFamily> DetectChatTemplate(std::string_view tmpl) {
  if (Trim(tmpl).empty()) {
    return UnrecognizedTemplateError(
        "the model has no chat template (tokenizer.chat_template is empty)");
  }
  if (auto by_name = ChatTemplateFamilyFromName(tmpl); by_name.ok()) {
    return *by_name;
  }
  auto has = [tmpl](std::string_view needle) {
    return tmpl.find(needle) != std::string_view::npos;
  };
  // The order matters: several families share markers. Substrings follow
  // the published templates (and llama.cpp's llm_chat_detect_template).
  if (has("<|im_start|>")) {
    if (has("<|im_sep|>")) return ChatTemplateFamily::kPhi4;
    // SmolVLM uses <|im_start|> as BOS but is not ChatML.
    if (!has("<end_of_utterance>")) return ChatTemplateFamily::kChatMl;
  } else if (has("[INST]")) {
    if (has("[SYSTEM_PROMPT]")) return ChatTemplateFamily::kMistralV7;
    // Official Mistral v1 / v3 / v3-tekken templates: v1 puts the system
    // prompt into ' [INST] ', v3 and v3-tekken carry [AVAILABLE_TOOLS] and
    // differ in the space after "[INST]".
    if (has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")) {
      if (has(" [INST]")) return ChatTemplateFamily::kMistralV1;
      if (has("\"[INST]\"")) return ChatTemplateFamily::kMistralV3Tekken;
      return ChatTemplateFamily::kMistralV3;
    }
    if (has("<<SYS>>")) return ChatTemplateFamily::kLlama2;
    return ChatTemplateFamily::kMistralV0;
  } else if (has("<|assistant|>") && has("<|end|>")) {
    // Phi-4-mini builds the tag from the role, with nothing after it.
    if (has("'<|' + message['role'] + '|>' + message['content']")) {
      return ChatTemplateFamily::kPhi4Mini;
    }
    return ChatTemplateFamily::kPhi3;
  } else if (has("<|user|>") && has("<|assistant|>") && has("eos_token")) {
    return ChatTemplateFamily::kZephyr;
  } else if (has("<start_of_turn>")) {
    return ChatTemplateFamily::kGemma;
  } else if (has("<|start_header_id|>") && has("<|end_header_id|>")) {
    return ChatTemplateFamily::kLlama3;
  }
  constexpr size_t kShown = 80;
  return UnrecognizedTemplateError(
      Cat("chat template not recognized (starts with \"",
          tmpl.substr(0, kShown), tmpl.size() > kShown ? "...\")" : "\")"));
}

std::optional<std::string> DefaultSystemPrompt(std::string_view tmpl) {
  // A default shows up as a literal system turn, e.g. (Qwen2.5)
  //   '<|im_start|>system\nYou are Qwen, ...<|im_end|>\n'
  // where "\n" is either an escape inside a Jinja string literal or a real
  // newline. Literal turns that splice in template expressions (quotes,
  // braces) are the "system message given" branches and are skipped.
  constexpr std::string_view kHead = "<|im_start|>system";
  constexpr std::string_view kEnd = "<|im_end|>";
  for (size_t pos = tmpl.find(kHead); pos != std::string_view::npos;
       pos = tmpl.find(kHead, pos + 1)) {
    std::string_view rest = tmpl.substr(pos + kHead.size());
    if (rest.starts_with("\\n")) {
      rest.remove_prefix(2);
    } else if (rest.starts_with("\n")) {
      rest.remove_prefix(1);
    } else {
      continue;
    }
    const size_t end = rest.find(kEnd);
    if (end == std::string_view::npos) continue;
    const std::string_view body = rest.substr(0, end);
    std::string text;
    bool literal = true;
    for (size_t i = 0; i < body.size() && literal; ++i) {
      const char c = body[i];
      if (c == '\\' && i + 1 < body.size()) {
        const char next = body[++i];
        text += next == 'n' ? '\n' : next == 't' ? '\t' : next;
      } else if (c == '\'' || c == '"' || c == '{' || c == '}') {
        literal = false;
      } else {
        text += c;
      }
    }
    if (literal && !Trim(text).empty()) return text;
  }
  return std::nullopt;
}

absl::StatusOr<std::string> RenderChat(ChatTemplateFamily family,
                                       const std::vector<ChatMessage>& messages,
                                       bool add_generation_prompt,
                                       std::string_view bos_text) {
  auto turns = ParseRoles(messages);
  if (!turns.ok()) return turns.status();
  std::optional<std::string_view> system;
  if (FoldsSystem(family)) {
    if (absl::Status s = SplitLeadingSystem(family, *turns, system); !s.ok()) {
      return s;
    }
  }
  const bool gen = add_generation_prompt;
  switch (family) {
    case ChatTemplateFamily::kChatMl:
      return RenderChatMl(*turns, gen, "\n", "<|im_end|>\n");
    case ChatTemplateFamily::kPhi4:
      return RenderChatMl(*turns, gen, "<|im_sep|>", "<|im_end|>");
    case ChatTemplateFamily::kLlama2:
      return RenderLlama2(*turns, system, bos_text);
    case ChatTemplateFamily::kLlama3:
      return RenderLlama3(*turns, gen, bos_text);
    case ChatTemplateFamily::kMistralV0:
    case ChatTemplateFamily::kMistralV1:
    case ChatTemplateFamily::kMistralV3:
    case ChatTemplateFamily::kMistralV3Tekken:
      return RenderMistral(family, *turns, system, bos_text);
    case ChatTemplateFamily::kMistralV7:
      return RenderMistralV7(*turns, bos_text);
    case ChatTemplateFamily::kZephyr:
      return RenderPipeRoles(*turns, gen, /*bos=*/"", kEos);
    case ChatTemplateFamily::kPhi3:
      return RenderPipeRoles(*turns, gen, bos_text, "<|end|>");
    case ChatTemplateFamily::kPhi4Mini:
      return RenderPipeRoles(*turns, gen, /*bos=*/"", "<|end|>", "");
    case ChatTemplateFamily::kGemma:
      return RenderGemma(*turns, system, gen, bos_text);
  }
  return UnrecognizedTemplateError(
      Cat("unsupported chat template family value ",
          std::to_string(static_cast<int>(family))));
}

}  // namespace edgellm::chat
