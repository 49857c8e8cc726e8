// The subcommands of `edgellm`, one factory per file (*_command.cc).
#ifndef EDGELLM_RUNTIME_CLI_COMMANDS_H_
#define EDGELLM_RUNTIME_CLI_COMMANDS_H_

#include "runtime/cli/command.h"

namespace edgellm::cli {

Command VersionCommand();
Command BenchCommand();
Command GenerateCommand();
Command ServeCommand();
Command MakeModelCommand();
Command InspectCommand();
Command QuantizeCommand();
Command TokenizeCommand();

}  // namespace edgellm::cli

#endif  // EDGELLM_RUNTIME_CLI_COMMANDS_H_
