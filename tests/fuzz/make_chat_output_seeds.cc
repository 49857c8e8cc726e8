// Writes the seed corpus for chat_output_fuzzer into the directory given:
// every hand-written model output of the parser's tests
// (runtime/chat/output/test_outputs.cc) in its format.
//
//   bazel run //tests/fuzz:make_chat_output_seeds -- \
//       $PWD/tests/fuzz/corpus/chat_output
#include <cstdio>
#include <fstream>
#include <string>

#include "runtime/chat/output/test_outputs.h"
#include "tests/fuzz/chat_output_fuzzer_input.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_chat_output_seeds DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  for (const auto& c : edgellm::chat::output::testing::OutputCases()) {
    const std::string bytes = edgellm::chat::output::fuzzing::EncodeFuzzInput(
        c.format, c.options, c.text);
    std::ofstream out(dir + "/" + c.name, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s/%s\n", dir.c_str(), c.name.c_str());
      return 1;
    }
    std::printf("%-44s %5zu bytes\n", c.name.c_str(), bytes.size());
  }
  return 0;
}
