// Format names and the choice of a format from what a model's chat template
// writes for assistant turns.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "runtime/chat/output/format_spec.h"
#include "runtime/chat/output/output_parser.h"
#include "runtime/chat/output/text_util.h"

namespace edgellm::chat::output {
namespace {

const std::vector<std::pair<ReasoningSyntax, std::string_view>>&
ReasoningNames() {
  static const auto* const names =
      new std::vector<std::pair<ReasoningSyntax, std::string_view>>{
          {ReasoningSyntax::kNone, "none"},
          {ReasoningSyntax::kThink, "think"},
          {ReasoningSyntax::kSeedThink, "seed-think"},
          {ReasoningSyntax::kCommandR, "command-r"},
          {ReasoningSyntax::kMistralThink, "mistral-think"},
          {ReasoningSyntax::kHarmony, "harmony"},
          {ReasoningSyntax::kApriel, "apriel"},
      };
  return *names;
}

const std::vector<std::pair<ToolCallSyntax, std::string_view>>& ToolNames() {
  static const auto* const names =
      new std::vector<std::pair<ToolCallSyntax, std::string_view>>{
          {ToolCallSyntax::kNone, "none"},
          {ToolCallSyntax::kGeneric, "generic"},
          {ToolCallSyntax::kHermes, "hermes"},
          {ToolCallSyntax::kQwen3Coder, "qwen3-coder"},
          {ToolCallSyntax::kGlm, "glm"},
          {ToolCallSyntax::kLlama3, "llama3"},
          {ToolCallSyntax::kMistral, "mistral"},
          {ToolCallSyntax::kPhi4Mini, "phi4-mini"},
          {ToolCallSyntax::kGemma, "gemma"},
          {ToolCallSyntax::kFirefunction, "firefunction"},
          {ToolCallSyntax::kCommandR, "command-r"},
          {ToolCallSyntax::kDeepSeek, "deepseek"},
          {ToolCallSyntax::kDeepSeekDsml, "deepseek-dsml"},
          {ToolCallSyntax::kKimiK2, "kimi-k2"},
          {ToolCallSyntax::kApriel, "apriel"},
          {ToolCallSyntax::kMiniMaxM1, "minimax-m1"},
          {ToolCallSyntax::kMiniMaxM2, "minimax-m2"},
          {ToolCallSyntax::kSeedOss, "seed-oss"},
          {ToolCallSyntax::kNemotron, "nemotron"},
          {ToolCallSyntax::kLfm2, "lfm2"},
          {ToolCallSyntax::kSolar, "solar"},
          {ToolCallSyntax::kGlimmer, "glimmer"},
          {ToolCallSyntax::kHarmony, "harmony"},
      };
  return *names;
}

template <typename Enum>
std::string_view NameOf(
    Enum value, const std::vector<std::pair<Enum, std::string_view>>& names) {
  for (const auto& [e, name] : names) {
    if (e == value) return name;
  }
  return "unknown";
}

template <typename Enum>
absl::StatusOr<Enum> FromName(
    std::string_view name, std::string_view what,
    const std::vector<std::pair<Enum, std::string_view>>& names) {
  std::string message = "unknown ";
  message.append(what).append(" syntax \"").append(name).append("\"; known:");
  for (const auto& [e, n] : names) {
    if (n == name) return e;
    message.append(" ").append(n);
  }
  return absl::InvalidArgumentError(message);
}

template <typename Enum>
std::vector<Enum> Values(
    const std::vector<std::pair<Enum, std::string_view>>& names) {
  std::vector<Enum> all;
  for (const auto& [e, n] : names) all.push_back(e);
  return all;
}

bool Has(std::string_view haystack, std::string_view needle) {
  return internal::Contains(haystack, needle);
}

bool HasToken(const FormatHints& hints, std::string_view token) {
  for (std::string_view t : hints.special_tokens) {
    if (t == token) return true;
  }
  return false;
}

// First match wins: more specific layouts come before the ones they
// contain (Qwen3-Coder's <function= inside <tool_call>, DeepSeek V4's DSML
// beside V3's markers).
ToolCallSyntax ToolsFromTemplate(std::string_view t) {
  // DeepSeek V4 builds its markers from a variable holding "｜DSML｜".
  if (Has(t, "｜DSML｜")) return ToolCallSyntax::kDeepSeekDsml;
  if (Has(t, "<｜tool▁calls▁begin｜>") || Has(t, "<｜tool▁call▁begin｜>")) {
    return ToolCallSyntax::kDeepSeek;
  }
  if (Has(t, "<|START_ACTION|>")) return ToolCallSyntax::kCommandR;
  if (Has(t, "<|tool_calls_section_begin|>")) return ToolCallSyntax::kKimiK2;
  if (Has(t, "<minimax:tool_call>")) return ToolCallSyntax::kMiniMaxM2;
  if (Has(t, "<atem:function_calls>")) return ToolCallSyntax::kGlimmer;
  if (Has(t, "<seed:tool_call>")) return ToolCallSyntax::kSeedOss;
  if (Has(t, "<|tool_call:begin|>")) return ToolCallSyntax::kSolar;
  if (Has(t, "<TOOLCALL>")) return ToolCallSyntax::kNemotron;
  // Before <tool_call>: Apriel 1.5's instructions name <tool_call> but its
  // assistant turns (and the example it gives) use <tool_calls>.
  if (Has(t, "<tool_calls>")) {
    // Apriel writes one JSON list; MiniMax-M1 one object per line (both
    // read the same way).
    return Has(t, "<beginning_of_sentence>") ? ToolCallSyntax::kMiniMaxM1
                                             : ToolCallSyntax::kApriel;
  }
  if (Has(t, "<tool_call>")) {
    if (Has(t, "<function=")) return ToolCallSyntax::kQwen3Coder;
    if (Has(t, "<arg_key>")) return ToolCallSyntax::kGlm;
    return ToolCallSyntax::kHermes;
  }
  if (Has(t, "[TOOL_CALLS]")) return ToolCallSyntax::kMistral;
  // Phi-4-mini's template lists tools in <|tool|>...<|/tool|>; the model
  // answers in <|tool_call|> (Granite 3.3's template names that token).
  if (Has(t, "<|tool_call|>") || (Has(t, "<|tool|>") && Has(t, "<|/tool|>"))) {
    return ToolCallSyntax::kPhi4Mini;
  }
  if (Has(t, "functools[")) return ToolCallSyntax::kFirefunction;
  // LFM2.5 lists tools as "List of tools: [...]" without LFM2's markers.
  if (Has(t, "<|tool_call_start|>") || Has(t, "<|tool_list_start|>") ||
      Has(t, "List of tools: [")) {
    return ToolCallSyntax::kLfm2;
  }
  if (Has(t, "<|channel|>")) return ToolCallSyntax::kHarmony;
  if (Has(t, "<|python_tag|>") ||
      (Has(t, "<|start_header_id|>") &&
       (Has(t, "ipython") || Has(t, "\"parameters\"")))) {
    return ToolCallSyntax::kLlama3;
  }
  if (Has(t, "tool_code") || Has(t, "<start_of_turn>")) {
    return ToolCallSyntax::kGemma;
  }
  return ToolCallSyntax::kGeneric;
}

ToolCallSyntax ToolsFromTokens(const FormatHints& h) {
  if (HasToken(h, "[TOOL_CALLS]")) return ToolCallSyntax::kMistral;
  if (HasToken(h, "<|python_tag|>")) return ToolCallSyntax::kLlama3;
  if (HasToken(h, "<|tool_call|>")) return ToolCallSyntax::kPhi4Mini;
  if (HasToken(h, "<|tool_call_start|>")) return ToolCallSyntax::kLfm2;
  if (HasToken(h, "<tool_call>")) return ToolCallSyntax::kHermes;
  if ((h.architecture).starts_with("gemma")) return ToolCallSyntax::kGemma;
  // Families trained on Hermes-style <tool_call> JSON, for templates (such
  // as re-edited community ones) that never show the markup.
  if (h.architecture == "smollm3" || h.architecture.starts_with("qwen")) {
    return ToolCallSyntax::kHermes;
  }
  return ToolCallSyntax::kGeneric;
}

ReasoningSyntax ReasoningFromTemplate(std::string_view t) {
  if (Has(t, "<|START_THINKING|>")) return ReasoningSyntax::kCommandR;
  if (Has(t, "<seed:think>")) return ReasoningSyntax::kSeedThink;
  if (Has(t, "[THINK]")) return ReasoningSyntax::kMistralThink;
  if (Has(t, "[BEGIN FINAL RESPONSE]")) return ReasoningSyntax::kApriel;
  if (Has(t, "<|channel|>") && Has(t, "analysis")) {
    return ReasoningSyntax::kHarmony;
  }
  if (Has(t, "<think>") || Has(t, "</think>")) return ReasoningSyntax::kThink;
  return ReasoningSyntax::kNone;
}

ReasoningSyntax ReasoningFromTokens(const FormatHints& h) {
  if (HasToken(h, "<think>")) return ReasoningSyntax::kThink;
  if (HasToken(h, "[THINK]")) return ReasoningSyntax::kMistralThink;
  if (HasToken(h, "<seed:think>")) return ReasoningSyntax::kSeedThink;
  return ReasoningSyntax::kNone;
}

}  // namespace

std::string_view ReasoningSyntaxName(ReasoningSyntax syntax) {
  return NameOf(syntax, ReasoningNames());
}

std::string_view ToolCallSyntaxName(ToolCallSyntax syntax) {
  return NameOf(syntax, ToolNames());
}

absl::StatusOr<ReasoningSyntax> ReasoningSyntaxFromName(std::string_view name) {
  return FromName(name, "reasoning", ReasoningNames());
}

absl::StatusOr<ToolCallSyntax> ToolCallSyntaxFromName(std::string_view name) {
  return FromName(name, "tool-call", ToolNames());
}

const std::vector<ReasoningSyntax>& AllReasoningSyntaxes() {
  static const auto* const all =
      new std::vector<ReasoningSyntax>(Values(ReasoningNames()));
  return *all;
}

const std::vector<ToolCallSyntax>& AllToolCallSyntaxes() {
  static const auto* const all =
      new std::vector<ToolCallSyntax>(Values(ToolNames()));
  return *all;
}

OutputFormat DetectOutputFormat(const FormatHints& hints) {
  OutputFormat format;
  format.tool_calls = ToolsFromTemplate(hints.template_source);
  if (format.tool_calls == ToolCallSyntax::kGeneric) {
    format.tool_calls = ToolsFromTokens(hints);
  }
  format.reasoning = ReasoningFromTemplate(hints.template_source);
  if (format.reasoning == ReasoningSyntax::kNone) {
    format.reasoning = ReasoningFromTokens(hints);
  }
  return format;
}

bool PromptOpensReasoning(std::string_view rendered_prompt,
                          ReasoningSyntax syntax) {
  const internal::ReasoningSpec* spec = internal::FindReasoningSpec(syntax);
  if (spec == nullptr || spec->close.empty()) return false;
  if (spec->open.empty()) return true;
  return internal::Trim(rendered_prompt).ends_with(spec->open);
}

}  // namespace edgellm::chat::output
