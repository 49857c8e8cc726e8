#include <iostream>

#include "runtime/cli/commands.h"

namespace edgellm::cli {

Command VersionCommand() {
  return Command{
      .name = "version",
      .summary = "print the program version and build facts",
      .usage = "edgellm version",
      .details = "",
      .flags = {},
      .run =
          [](const ParsedArgs&) {
            std::cout << "edgellm 0.1.0 (C++" << __cplusplus / 100 % 100 << ", "
                      << __VERSION__ << ")\n";
            return 0;
          },
  };
}

}  // namespace edgellm::cli
