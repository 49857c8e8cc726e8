// Subcommands of the `edgellm` program and their flags.
//
// Each subcommand declares its flags in a table; the table is the single
// source of both parsing and `--help`. (absl flags are process-global, which
// does not fit per-subcommand flags and help.) Values are parsed with abseil.
#ifndef EDGELLM_RUNTIME_CLI_COMMAND_H_
#define EDGELLM_RUNTIME_CLI_COMMAND_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace edgellm::cli {

enum class FlagKind { kString, kInt, kDouble, kBool };

struct FlagSpec {
  std::string name;  // without dashes, e.g. "max-tokens"
  FlagKind kind;
  std::string default_value;  // as it would be typed; "" = no default
  std::string help;
  char short_name = 0;  // optional, e.g. 'p' for -p
  // The flag may be given many times (`--text A --text B`); GetStrings has
  // every value in order, GetString the last. kString only.
  bool repeated = false;
};

// The parsed command line of one subcommand.
class ParsedArgs {
 public:
  // Values of declared flags (defaults applied). Accessing an undeclared
  // flag is a programming error and aborts.
  const std::string& GetString(const std::string& name) const;
  // Every value of a repeated kString flag, in command-line order (empty
  // when the flag was not given; its default is not included).
  const std::vector<std::string>& GetStrings(const std::string& name) const;
  int64_t GetInt(const std::string& name) const;
  double GetDouble(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  // True if the user gave the flag (as opposed to its default).
  bool IsSet(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend absl::StatusOr<ParsedArgs> ParseArgs(
      const std::vector<FlagSpec>& specs, const std::vector<std::string>& args);
  const std::string& Raw(const std::string& name, FlagKind kind) const;
  std::map<std::string, std::pair<FlagKind, std::string>> values_;
  std::map<std::string, bool> set_;
  std::map<std::string, std::vector<std::string>> repeated_;
  std::vector<std::string> positional_;
};

// Parses `--name=value`, `--name value`, `-s value`, `--flag` / `--noflag`
// for booleans, and positional arguments (everything after `--` is
// positional). Unknown flags and malformed values are errors naming the flag.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<FlagSpec>& specs,
                                     const std::vector<std::string>& args);

struct Command {
  std::string name;
  std::string summary;  // one line for `edgellm --help`
  std::string usage;    // e.g. "edgellm inspect MODEL [--json]"
  std::string details;  // paragraphs after the usage line; may be empty
  std::vector<FlagSpec> flags;
  // Returns the process exit code. Errors are printed by the command.
  std::function<int(const ParsedArgs&)> run;
};

// Help text of one command: usage, details, every flag with its default.
std::string CommandHelp(const Command& command);

// Runs `edgellm ARGS...`: dispatches to the named command, handles --help.
int RunMain(const std::vector<Command>& commands, int argc, char** argv);

}  // namespace edgellm::cli

#endif  // EDGELLM_RUNTIME_CLI_COMMAND_H_
