// Model outputs written by hand after the layouts the publishers' chat
// templates give assistant turns (one or more per format), each with the
// content, reasoning and calls it must parse into. Shared by the parser's
// tests and the fuzzer's seed corpus.
#ifndef EDGELLM_RUNTIME_CHAT_OUTPUT_TEST_OUTPUTS_H_
#define EDGELLM_RUNTIME_CHAT_OUTPUT_TEST_OUTPUTS_H_

#include <string>
#include <vector>

#include "runtime/chat/output/output_parser.h"

namespace edgellm::chat::output::testing {

struct OutputCase {
  std::string name;
  OutputFormat format;
  ParseOptions options;
  std::string text;
  ParsedOutput expected;
};

const std::vector<OutputCase>& OutputCases();

// A call as ParsedOutput holds it.
ToolCall Call(int index, std::string id, std::string name,
              std::string arguments);

}  // namespace edgellm::chat::output::testing

#endif  // EDGELLM_RUNTIME_CHAT_OUTPUT_TEST_OUTPUTS_H_
