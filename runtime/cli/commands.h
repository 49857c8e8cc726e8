// The subcommands of `edgellm`, one factory per file (*_command.cc).
#ifndef EDGELLM_RUNTIME_CLI_COMMANDS_H_
#define EDGELLM_RUNTIME_CLI_COMMANDS_H_

#include "runtime/cli/command.h"
#include "runtime/server/server.h"

namespace edgellm::cli {

Command VersionCommand();
Command BenchCommand();
Command GenerateCommand();
Command ServeCommand();
// `serve` over an engine loaded by `load` (a test double in tests).
Command ServeCommandWith(server::EngineLoader load);
Command MakeModelCommand();
Command InspectCommand();
Command QuantizeCommand();
Command TokenizeCommand();
Command TemplateCommand();
Command EmbedCommand();
Command RerankCommand();

}  // namespace edgellm::cli

#endif  // EDGELLM_RUNTIME_CLI_COMMANDS_H_
