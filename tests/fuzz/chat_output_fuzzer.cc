// libFuzzer target for the chat output parser (runtime/chat/output): any
// bytes in any format must parse without a crash, give the same result
// however the text is cut into pieces (whole, in the pieces the header
// picks, byte by byte for short inputs), whose deltas add up to parsed(),
// and report only calls with a name, an id and compact JSON-object
// arguments. Built with clang by tools/fuzz.sh chat_output; the seed
// corpus is replayed by //tests/fuzz:chat_output_fuzzer_replay_test.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "runtime/chat/output/output_parser.h"
#include "tests/fuzz/chat_output_fuzzer_input.h"

namespace {

using edgellm::chat::output::OutputDelta;
using edgellm::chat::output::OutputParser;
using edgellm::chat::output::ParsedOutput;
using edgellm::chat::output::fuzzing::FuzzInput;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

ParsedOutput Run(const FuzzInput& in,
                 const std::vector<std::string_view>& pieces) {
  absl::StatusOr<OutputParser> parser =
      OutputParser::Create(in.format, in.options);
  Check(parser.ok());
  ParsedOutput from_deltas;
  auto add = [&](const OutputDelta& d) {
    from_deltas.content += d.content;
    from_deltas.reasoning += d.reasoning;
    for (const auto& c : d.tool_calls) from_deltas.tool_calls.push_back(c);
  };
  for (std::string_view p : pieces) add(parser->Feed(p));
  add(parser->Finish());
  Check(from_deltas == parser->parsed());
  return parser->parsed();
}

void CheckCalls(const ParsedOutput& out) {
  for (size_t i = 0; i < out.tool_calls.size(); ++i) {
    const auto& call = out.tool_calls[i];
    Check(call.index == static_cast<int>(i));
    Check(!call.id.empty() && !call.name.empty());
    const nlohmann::ordered_json args =
        nlohmann::ordered_json::parse(call.arguments, nullptr, false);
    Check(args.is_object());
    Check(args.dump(-1, ' ', false,
                    nlohmann::ordered_json::error_handler_t::replace) ==
          call.arguments);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in;
  if (!edgellm::chat::output::fuzzing::DecodeFuzzInput(data, size, in)) {
    return 0;
  }
  const ParsedOutput whole = Run(in, {in.text});
  CheckCalls(whole);

  std::vector<std::string_view> pieces;
  for (size_t pos = 0, i = 0; pos < in.text.size(); ++i) {
    const size_t len = (i * 7 + in.split_seed) % 13;  // empty pieces too
    pieces.push_back(in.text.substr(pos, len));
    pos += len;
  }
  Check(Run(in, pieces) == whole);

  if (in.text.size() <= 512) {
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < in.text.size(); ++i) {
      bytes.push_back(in.text.substr(i, 1));
    }
    Check(Run(in, bytes) == whole);
  }
  return 0;
}
