// The chat_output fuzzer's input layout, shared by the fuzzer and its seed
// generator: three header bytes, then the model output text.
//   byte 0  tool-call syntax, index into AllToolCallSyntaxes() (mod size)
//   byte 1  reasoning syntax, index into AllReasoningSyntaxes() (mod size)
//   byte 2  bit 0 starts_in_reasoning, bit 1 tool calls off, bit 2 the
//           request's tools (typed parameters) given; bits 3-7 pick how the
//           text is cut into pieces
#ifndef EDGELLM_TESTS_FUZZ_CHAT_OUTPUT_FUZZER_INPUT_H_
#define EDGELLM_TESTS_FUZZ_CHAT_OUTPUT_FUZZER_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/chat/output/output_parser.h"

namespace edgellm::chat::output::fuzzing {

inline constexpr char kTools[] =
    R"([{"type": "function", "function": {"name": "get_weather",
         "parameters": {"properties": {"location": {"type": "string"},
                                       "days": {"type": "integer"}}}}},
        {"type": "function", "function": {"name": "search_web",
         "parameters": {"properties": {"query": {"type": "string"},
                                       "safe": {"type": "boolean"}}}}}])";

struct FuzzInput {
  OutputFormat format;
  ParseOptions options;
  int split_seed = 0;
  std::string_view text;
};

// False if the input is shorter than the header.
inline bool DecodeFuzzInput(const uint8_t* data, size_t size, FuzzInput& in) {
  if (size < 3) return false;
  const auto& tools = AllToolCallSyntaxes();
  const auto& reasoning = AllReasoningSyntaxes();
  in.format.tool_calls = tools[data[0] % tools.size()];
  in.format.reasoning = reasoning[data[1] % reasoning.size()];
  in.options.starts_in_reasoning = (data[2] & 1) != 0;
  in.options.parse_tool_calls = (data[2] & 2) == 0;
  if ((data[2] & 4) != 0) in.options.tools_json = kTools;
  in.split_seed = data[2] >> 3;
  in.text = std::string_view(reinterpret_cast<const char*>(data) + 3, size - 3);
  return true;
}

inline std::string EncodeFuzzInput(const OutputFormat& format,
                                   const ParseOptions& options,
                                   std::string_view text) {
  std::string bytes(3, '\0');
  bytes[0] = static_cast<char>(format.tool_calls);
  bytes[1] = static_cast<char>(format.reasoning);
  bytes[2] = static_cast<char>((options.starts_in_reasoning ? 1 : 0) |
                               (options.parse_tool_calls ? 0 : 2) |
                               (options.tools_json.empty() ? 0 : 4));
  bytes.append(text);
  return bytes;
}

}  // namespace edgellm::chat::output::fuzzing

#endif  // EDGELLM_TESTS_FUZZ_CHAT_OUTPUT_FUZZER_INPUT_H_
