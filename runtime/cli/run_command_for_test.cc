#include "runtime/cli/run_command_for_test.h"

#include <iostream>
#include <sstream>

namespace edgellm::cli {

CommandResult RunCommandForTest(const Command& command,
                                const std::vector<std::string>& args) {
  auto parsed = ParseArgs(command.flags, args);
  if (!parsed.ok()) return {-1, "", std::string(parsed.status().message())};
  std::stringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  const int code = command.run(*parsed);
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  return {code, out.str(), err.str()};
}

}  // namespace edgellm::cli
