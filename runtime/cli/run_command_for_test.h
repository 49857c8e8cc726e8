// Runs a CLI subcommand in-process for tests: parses `args` with the
// command's flag table and captures what it prints to stdout and stderr.
#ifndef EDGELLM_RUNTIME_CLI_RUN_COMMAND_FOR_TEST_H_
#define EDGELLM_RUNTIME_CLI_RUN_COMMAND_FOR_TEST_H_

#include <string>
#include <vector>

#include "runtime/cli/command.h"

namespace edgellm::cli {

struct CommandResult {
  int code = -1;  // the command's exit code; -1 if the flags did not parse
  std::string out;
  std::string err;  // on a parse failure: the parse error
};

// Not thread-safe: swaps std::cout's and std::cerr's buffers while running.
CommandResult RunCommandForTest(const Command& command,
                                const std::vector<std::string>& args);

}  // namespace edgellm::cli

#endif  // EDGELLM_RUNTIME_CLI_RUN_COMMAND_FOR_TEST_H_
