// The `edgellm` program: one binary, many subcommands.
#include <vector>

#include "runtime/cli/commands.h"

int main(int argc, char** argv) {
  using namespace edgellm::cli;
  const std::vector<Command> commands = {
      BenchCommand(),     GenerateCommand(), ServeCommand(),
      MakeModelCommand(), InspectCommand(),  QuantizeCommand(),
      VersionCommand(),   TokenizeCommand(), TemplateCommand(),
      EmbedCommand(),     RerankCommand(),
  };
  return RunMain(commands, argc, argv);
}
