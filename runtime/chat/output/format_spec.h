// The markers of each output syntax, as data: which text opens a reasoning
// block or a tool-call block, how the block ends, how its body is read, and
// which markers are dropped from content. The streaming engine
// (output_parser.cc) knows no format by name; it walks these tables.
#ifndef EDGELLM_RUNTIME_CHAT_OUTPUT_FORMAT_SPEC_H_
#define EDGELLM_RUNTIME_CHAT_OUTPUT_FORMAT_SPEC_H_

#include <string_view>
#include <vector>

#include "runtime/chat/output/output_parser.h"

namespace edgellm::chat::output::internal {

// Where a tool-call block ends.
enum class BlockEnd {
  kCloseMarker,  // at `close`
  kJsonValue,    // where the JSON object or array after the opener ends
  kPythonValue,  // where the bracketed Python literal after the opener ends
  kMistral,      // a JSON array, or NAME[CALL_ID]ID[ARGS] and a JSON object
  kPythonTag,    // a JSON object, else at `close` or at the end of the output
};

// How a block's body becomes calls.
enum class BodyKind {
  kToolCallTag,   // JSON call object(s), <function=..> XML or GLM arg pairs
  kJsonCalls,     // JSON call object(s) or arrays of them
  kXmlFunctions,  // <function=N><parameter=P>v</parameter></function>...
  kInvokes,       // <{p}invoke name="N"><{p}parameter name="P">v</..>...
  kCallsOrJson,   // Python calls [f(a=1)] or JSON call object(s)
  kPythonTag,     // JSON call object(s), name.call(k=v) or Python code
  kMistral,       // JSON array, or NAME[CALL_ID]ID[ARGS]{...}
  kDeepSeek,  // N<｜tool▁sep｜>{..} or function<｜tool▁sep｜>N ```json..```
  kKimi,      // functions.N:IDX<|tool_call_argument_begin|>{...}
  kSolar,    // ID<|tool_call:name|>N<|tool_call:args|>{...}
  kHarmony,  // N ... <|message|>{...}
};

struct BlockSpec {
  std::string_view open;  // "" for a bare value that is the whole reply
  BlockEnd end = BlockEnd::kCloseMarker;
  std::string_view close;
  BodyKind body = BodyKind::kJsonCalls;
  std::string_view invoke_prefix;  // kInvokes: "", "minimax:", "｜DSML｜"
};

enum class IdStyle {
  kPrefixIndex,  // options.id_prefix + index
  kNineAlnum,    // "call00000": Mistral's templates require 9 alphanumerics
};

struct ToolSpec {
  std::vector<BlockSpec> blocks;
  std::vector<std::string_view> ignored;  // markers dropped from content
  bool bare_json = false;      // a JSON call object may be the whole reply
  bool bare_python = false;    // [f(a=1)] may be the whole reply
  bool bare_response = false;  // {"response": "text"} as the reply is text
  IdStyle ids = IdStyle::kPrefixIndex;
};

struct ReasoningSpec {
  std::string_view open;   // "" = the output starts inside reasoning
  std::string_view close;  // "" = no reasoning
  std::vector<std::string_view> ignored;  // markers dropped from content
};

// nullptr for a value outside the enum.
const ToolSpec* FindToolSpec(ToolCallSyntax syntax);
const ReasoningSpec* FindReasoningSpec(ReasoningSyntax syntax);

// The bare-value blocks (open == "") that ToolSpec::bare_json/bare_python
// stand for.
const BlockSpec& BareJsonBlock();
const BlockSpec& BarePythonBlock();

}  // namespace edgellm::chat::output::internal

#endif  // EDGELLM_RUNTIME_CHAT_OUTPUT_FORMAT_SPEC_H_
