// Structured model output: splits the text a chat model streams into
// content, reasoning ("thinking") and tool calls, as the model's chat
// template taught it to write them.
//
// Typical use by a Chat request:
//
//   OutputFormat format = DetectOutputFormat({.template_source = tmpl});
//   ParseOptions options;
//   options.parse_tool_calls = request_has_tools;
//   options.tools_json = request_tools_json;   // OpenAI "tools" array
//   options.starts_in_reasoning =
//       PromptOpensReasoning(rendered_prompt, format.reasoning);
//   absl::StatusOr<OutputParser> parser = OutputParser::Create(format,
//                                                              options);
//   for each decoded piece:  OutputDelta d = parser->Feed(piece);
//   at the end:              OutputDelta d = parser->Finish();
//
// The text fed in must include the text of the control tokens that carry
// the format (`[TOOL_CALLS]`, `<|python_tag|>`, `<|tool_call|>`, ...): decode
// with render_special, leaving out only the end-of-generation token.
//
// Guarantees, for any way the same text is split into Feed calls (inside a
// marker or inside a UTF-8 sequence included):
//   - the concatenated deltas, and parsed() after Finish(), are the same;
//   - content and reasoning stream as soon as they cannot be the start of a
//     marker; only a possible marker prefix is held back (reasoning also
//     holds its trailing whitespace, which is dropped before the closing
//     marker), and deltas end on UTF-8 character boundaries;
//   - a tool call is reported once it is complete, with its arguments
//     re-serialized as compact JSON;
//   - nothing is dropped but markers and the whitespace around blocks: at
//     Finish an unterminated reasoning block is reasoning, and a tool call
//     that is unterminated or does not parse (invalid JSON arguments, say)
//     is reported as content, in the exact text the model wrote.
// Whitespace at the start of the output, at the start of a reasoning block
// and after a reasoning block or a tool call is dropped.
//
// Not thread-safe; one parser per request.
#ifndef EDGELLM_RUNTIME_CHAT_OUTPUT_OUTPUT_PARSER_H_
#define EDGELLM_RUNTIME_CHAT_OUTPUT_OUTPUT_PARSER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace edgellm::chat::output {

// How the model marks its reasoning.
enum class ReasoningSyntax {
  kNone,
  kThink,         // <think> ... </think> (Qwen3, QwQ, DeepSeek-R1, GLM, ...)
  kSeedThink,     // <seed:think> ... </seed:think> (ByteDance Seed-OSS)
  kCommandR,      // <|START_THINKING|> ... <|END_THINKING|> (Command R7B)
  kMistralThink,  // [THINK] ... [/THINK] (Magistral)
  kHarmony,       // <|channel|>analysis<|message|> ... <|end|> (gpt-oss)
  kApriel,        // reasoning from the start ... [BEGIN FINAL RESPONSE]
};

// How the model writes tool calls.
enum class ToolCallSyntax {
  kNone,          // never parse tool calls
  kGeneric,       // <tool_call> JSON blocks, or a JSON call object (also
                  // {"tool_call": ...} / {"tool_calls": [...]} /
                  // {"response": "..."}) as the whole reply
  kHermes,        // <tool_call>{"name", "arguments"}</tool_call> (Hermes,
                  // Qwen 2.5, Qwen3, QwQ, Granite 4, ...)
  kQwen3Coder,    // <tool_call><function=N><parameter=P>v</parameter>...
  kGlm,           // <tool_call>N<arg_key>k</arg_key><arg_value>v</arg_value>
  kLlama3,        // {"name", "parameters"} as the reply, or after
                  // <|python_tag|> (also name.call(k=v) built-ins)
  kMistral,       // [TOOL_CALLS][{...}] or [TOOL_CALLS]N[CALL_ID]id[ARGS]{..}
  kPhi4Mini,      // <|tool_call|>[{"name", "arguments"}]<|/tool_call|>
  kGemma,         // ```tool_code [f(a=1)] ```, [f(a=1)] or a JSON call object
  kFirefunction,  // functools[{"name", "arguments"}]
  kCommandR,      // <|START_ACTION|>[{"tool_name", "parameters"}]<|END_ACTION|>
  kDeepSeek,  // <｜tool▁call▁begin｜>N<｜tool▁sep｜>{..}<｜tool▁call▁end｜>
              // (V3.1; R1's function<｜tool▁sep｜>N ```json``` too)
  kDeepSeekDsml,  // <｜DSML｜tool_calls><｜DSML｜invoke name=..> (V4)
  kKimiK2,     // <|tool_call_begin|>functions.N:0<|tool_call_argument_begin|>
  kApriel,     // <tool_calls>[{"name", "arguments", "id"}]</tool_calls>
  kMiniMaxM1,  // <tool_calls> one JSON call per line </tool_calls>
  kMiniMaxM2,  // <minimax:tool_call><invoke name=..><parameter name=..>
  kSeedOss,    // <seed:tool_call><function=N><parameter=P>v</parameter>
  kNemotron,   // <TOOLCALL>[{"name", "arguments"}]</TOOLCALL>
  kLfm2,       // <|tool_call_start|>[f(a=1)]<|tool_call_end|>
  kSolar,      // <|tool_call:begin|>id<|tool_call:name|>N<|tool_call:args|>
  kGlimmer,    // <atem:function_calls><atem:invoke name=..>
  kHarmony,    // <|channel|>commentary to=functions.N ...<|message|>{..}
               // <|call|> (gpt-oss)
};

struct OutputFormat {
  ReasoningSyntax reasoning = ReasoningSyntax::kNone;
  ToolCallSyntax tool_calls = ToolCallSyntax::kGeneric;
};

// Stable lowercase names ("think", "hermes", "qwen3-coder", "llama3", ...),
// for flags, logs and explicit overrides.
std::string_view ReasoningSyntaxName(ReasoningSyntax syntax);
std::string_view ToolCallSyntaxName(ToolCallSyntax syntax);
absl::StatusOr<ReasoningSyntax> ReasoningSyntaxFromName(std::string_view name);
absl::StatusOr<ToolCallSyntax> ToolCallSyntaxFromName(std::string_view name);
// Every syntax, in declaration order (for --help text and tests).
const std::vector<ReasoningSyntax>& AllReasoningSyntaxes();
const std::vector<ToolCallSyntax>& AllToolCallSyntaxes();

// What is known about the model.
struct FormatHints {
  // The chat template's Jinja source (GGUF tokenizer.chat_template).
  std::string_view template_source;
  // The texts of the vocabulary's control and user-defined tokens, if known;
  // they decide when the template says nothing ("[TOOL_CALLS]", "<think>").
  std::vector<std::string_view> special_tokens;
  // GGUF general.architecture ("gemma3", ...), if known.
  std::string_view architecture;
};

// Picks the output format from what the template lays out for assistant
// turns (e.g. "<tool_call>" -> Hermes, "[TOOL_CALLS]" -> Mistral,
// "<think>" -> think), then from the special tokens and the architecture.
// Tool calls default to kGeneric, reasoning to kNone.
OutputFormat DetectOutputFormat(const FormatHints& hints);

// Whether the rendered prompt leaves the model inside a reasoning block (the
// generation prompt ended with "<think>\n", say), so its output starts with
// reasoning and no opening marker.
bool PromptOpensReasoning(std::string_view rendered_prompt,
                          ReasoningSyntax syntax);

struct ParseOptions {
  // False: tool-call markers are plain content (e.g. the request has no
  // tools). Reasoning is parsed either way.
  bool parse_tool_calls = true;
  // The output starts inside reasoning (see PromptOpensReasoning). Syntaxes
  // without an opening marker (kApriel) always start inside reasoning.
  bool starts_in_reasoning = false;
  // The request's tools (an OpenAI "tools" JSON array, or empty). Used to
  // type the argument values of formats that write them as bare text
  // (Qwen3-Coder, GLM, MiniMax-M2, ...): a "string" parameter stays a
  // string, others are read as JSON (or Python literals).
  std::string tools_json;
  // Generated ids are id_prefix + index ("call_0", "call_1", ...), except in
  // kMistral whose templates require 9 alphanumerics ("call00000"). Ids the
  // model writes itself (Mistral [CALL_ID], Command R, Kimi) are kept.
  std::string id_prefix = "call_";
};

struct ToolCall {
  // Position among the calls of this output: 0, 1, ...
  int index = 0;
  std::string id;
  std::string name;
  // Compact JSON (an object: {"location":"Seoul"}).
  std::string arguments;

  bool operator==(const ToolCall&) const = default;
};

// What one Feed or Finish call adds.
struct OutputDelta {
  std::string content;
  std::string reasoning;
  std::vector<ToolCall> tool_calls;  // calls completed now, in order

  bool empty() const {
    return content.empty() && reasoning.empty() && tool_calls.empty();
  }
};

// Everything parsed so far (the concatenation of all deltas).
struct ParsedOutput {
  std::string content;
  std::string reasoning;
  std::vector<ToolCall> tool_calls;

  bool operator==(const ParsedOutput&) const = default;
};

namespace internal {
class Engine;
}  // namespace internal

class OutputParser {
 public:
  // Fails on an unknown syntax value or tools_json that is not a JSON array.
  static absl::StatusOr<OutputParser> Create(const OutputFormat& format,
                                             const ParseOptions& options = {});

  OutputParser(OutputParser&&) noexcept;
  OutputParser& operator=(OutputParser&&) noexcept;
  ~OutputParser();

  // Appends generated text (any split, any bytes).
  OutputDelta Feed(std::string_view text);
  // Ends the stream: flushes what was held back. Feed after Finish is
  // ignored.
  OutputDelta Finish();

  const ParsedOutput& parsed() const;

 private:
  explicit OutputParser(std::unique_ptr<internal::Engine> engine);
  std::unique_ptr<internal::Engine> engine_;
};

// Parses a whole output at once (Feed + Finish).
absl::StatusOr<ParsedOutput> ParseOutput(std::string_view text,
                                         const OutputFormat& format,
                                         const ParseOptions& options = {});

}  // namespace edgellm::chat::output

#endif  // EDGELLM_RUNTIME_CHAT_OUTPUT_OUTPUT_PARSER_H_
