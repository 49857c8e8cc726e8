// Each row is what the publisher's chat template writes for an assistant
// turn with tool calls or reasoning (the templates' own layouts), plus the
// variants their documentation tells the model to produce.
#include "runtime/chat/output/format_spec.h"

namespace edgellm::chat::output::internal {
namespace {

using E = BlockEnd;
using B = BodyKind;

// <tool_call> ... </tool_call>: Hermes 2 Pro, Qwen 2.5/3, QwQ, Granite 4
// (JSON); Qwen3-Coder (<function=..> XML); GLM 4.5+ (name + arg pairs).
BlockSpec ToolCallTag() {
  return {"<tool_call>", E::kCloseMarker, "</tool_call>", B::kToolCallTag, ""};
}

ToolSpec MakeToolSpec(ToolCallSyntax syntax) {
  ToolSpec s;
  switch (syntax) {
    case ToolCallSyntax::kNone:
      break;
    case ToolCallSyntax::kGeneric:
      s.blocks = {ToolCallTag()};
      s.bare_json = true;
      s.bare_response = true;
      break;
    case ToolCallSyntax::kHermes:
    case ToolCallSyntax::kQwen3Coder:
    case ToolCallSyntax::kGlm:
      s.blocks = {ToolCallTag()};
      break;
    case ToolCallSyntax::kLlama3:
      // Llama 3.1 ends a built-in call with <|eom_id|> (an end-of-message
      // token the caller may or may not render).
      s.blocks = {
          {"<|python_tag|>", E::kPythonTag, "<|eom_id|>", B::kPythonTag, ""}};
      s.bare_json = true;
      break;
    case ToolCallSyntax::kMistral:
      s.blocks = {{"[TOOL_CALLS]", E::kMistral, "", B::kMistral, ""}};
      s.ids = IdStyle::kNineAlnum;
      break;
    case ToolCallSyntax::kPhi4Mini:
      // The closing tag is optional (Granite 3.3 writes none); llama.cpp's
      // Phi-4 work saw both spellings of it.
      s.blocks = {{"<|tool_call|>", E::kJsonValue, "", B::kJsonCalls, ""}};
      s.ignored = {"<|/tool_call|>", "</|tool_call|>"};
      break;
    case ToolCallSyntax::kGemma:
      // Gemma has no tool tokens; Google's function-calling guide prompts
      // for a Python call list or a JSON object, often fenced as tool_code.
      s.blocks = {
          {"```tool_code", E::kCloseMarker, "```", B::kCallsOrJson, ""}};
      s.bare_json = true;
      s.bare_python = true;
      break;
    case ToolCallSyntax::kFirefunction:
      s.blocks = {{"functools", E::kJsonValue, "", B::kJsonCalls, ""}};
      break;
    case ToolCallSyntax::kCommandR:
      s.blocks = {{"<|START_ACTION|>", E::kCloseMarker, "<|END_ACTION|>",
                   B::kJsonCalls, ""}};
      break;
    case ToolCallSyntax::kDeepSeek:
      s.blocks = {{"<｜tool▁call▁begin｜>", E::kCloseMarker,
                   "<｜tool▁call▁end｜>", B::kDeepSeek, ""}};
      s.ignored = {"<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>"};
      break;
    case ToolCallSyntax::kDeepSeekDsml:
      s.blocks = {{"<｜DSML｜tool_calls>", E::kCloseMarker,
                   "</｜DSML｜tool_calls>", B::kInvokes, "｜DSML｜"}};
      break;
    case ToolCallSyntax::kKimiK2:
      s.blocks = {{"<|tool_call_begin|>", E::kCloseMarker, "<|tool_call_end|>",
                   B::kKimi, ""}};
      s.ignored = {"<|tool_calls_section_begin|>",
                   "<|tool_calls_section_end|>"};
      break;
    case ToolCallSyntax::kApriel:
    case ToolCallSyntax::kMiniMaxM1:
      // Apriel 1.5's instructions also name <tool_call>.
      s.blocks = {
          {"<tool_calls>", E::kCloseMarker, "</tool_calls>", B::kJsonCalls, ""},
          ToolCallTag()};
      break;
    case ToolCallSyntax::kMiniMaxM2:
      s.blocks = {{"<minimax:tool_call>", E::kCloseMarker,
                   "</minimax:tool_call>", B::kInvokes, ""}};
      break;
    case ToolCallSyntax::kSeedOss:
      s.blocks = {{"<seed:tool_call>", E::kCloseMarker, "</seed:tool_call>",
                   B::kXmlFunctions, ""}};
      break;
    case ToolCallSyntax::kNemotron:
      s.blocks = {
          {"<TOOLCALL>", E::kCloseMarker, "</TOOLCALL>", B::kJsonCalls, ""}};
      break;
    case ToolCallSyntax::kLfm2:
      s.blocks = {{"<|tool_call_start|>", E::kCloseMarker, "<|tool_call_end|>",
                   B::kCallsOrJson, ""}};
      break;
    case ToolCallSyntax::kSolar:
      s.blocks = {{"<|tool_call:begin|>", E::kCloseMarker, "<|tool_call:end|>",
                   B::kSolar, ""}};
      s.ignored = {"<|tool_calls|>", "<|calls|>"};
      break;
    case ToolCallSyntax::kGlimmer:
      s.blocks = {{"<atem:function_calls>", E::kCloseMarker,
                   "</atem:function_calls>", B::kInvokes, "atem:"}};
      break;
    case ToolCallSyntax::kHarmony:
      // The recipient is written in the channel header or, after
      // <|start|>assistant, before it.
      s.blocks = {
          {"<|channel|>commentary to=functions.", E::kCloseMarker, "<|call|>",
           B::kHarmony, ""},
          {" to=functions.", E::kCloseMarker, "<|call|>", B::kHarmony, ""},
          {"to=functions.", E::kCloseMarker, "<|call|>", B::kHarmony, ""}};
      break;
  }
  return s;
}

ReasoningSpec MakeReasoningSpec(ReasoningSyntax syntax) {
  switch (syntax) {
    case ReasoningSyntax::kNone:
      return {};
    case ReasoningSyntax::kThink:
      return {"<think>", "</think>", {}};
    case ReasoningSyntax::kSeedThink:
      return {"<seed:think>", "</seed:think>", {}};
    case ReasoningSyntax::kCommandR:
      return {"<|START_THINKING|>",
              "<|END_THINKING|>",
              {"<|START_RESPONSE|>", "<|END_RESPONSE|>"}};
    case ReasoningSyntax::kMistralThink:
      return {"[THINK]", "[/THINK]", {}};
    case ReasoningSyntax::kHarmony:
      return {"<|channel|>analysis<|message|>",
              "<|end|>",
              {"<|start|>assistant", "<|channel|>final<|message|>",
               "<|channel|>commentary<|message|>", "<|end|>", "<|return|>"}};
    case ReasoningSyntax::kApriel:
      return {"", "[BEGIN FINAL RESPONSE]", {"[END FINAL RESPONSE]"}};
  }
  return {};
}

template <typename Enum, typename Spec, Spec (*kMake)(Enum)>
const Spec* Lookup(Enum value, const std::vector<Enum>& all) {
  static const std::vector<Spec>* const specs = [&all] {
    auto* v = new std::vector<Spec>();
    for (Enum e : all) v->push_back(kMake(e));
    return v;
  }();
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] == value) return &(*specs)[i];
  }
  return nullptr;
}

}  // namespace

const ToolSpec* FindToolSpec(ToolCallSyntax syntax) {
  return Lookup<ToolCallSyntax, ToolSpec, MakeToolSpec>(syntax,
                                                        AllToolCallSyntaxes());
}

const ReasoningSpec* FindReasoningSpec(ReasoningSyntax syntax) {
  return Lookup<ReasoningSyntax, ReasoningSpec, MakeReasoningSpec>(
      syntax, AllReasoningSyntaxes());
}

const BlockSpec& BareJsonBlock() {
  static const BlockSpec block{"", E::kJsonValue, "", B::kJsonCalls, ""};
  return block;
}

const BlockSpec& BarePythonBlock() {
  static const BlockSpec block{"", E::kPythonValue, "", B::kCallsOrJson, ""};
  return block;
}

}  // namespace edgellm::chat::output::internal
