#include "runtime/cli/command.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace edgellm::cli {
namespace {

const FlagSpec* FindSpec(const std::vector<FlagSpec>& specs,
                         const std::string& name) {
  for (const FlagSpec& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const FlagSpec* FindShort(const std::vector<FlagSpec>& specs, char c) {
  for (const FlagSpec& spec : specs) {
    if (spec.short_name != 0 && spec.short_name == c) return &spec;
  }
  return nullptr;
}

absl::Status CheckValue(const FlagSpec& spec, const std::string& value) {
  switch (spec.kind) {
    case FlagKind::kString:
      return absl::OkStatus();
    case FlagKind::kInt: {
      int64_t v;
      if (absl::SimpleAtoi(value, &v)) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(
          "--", spec.name, " takes an integer, got '", value, "'"));
    }
    case FlagKind::kDouble: {
      double v;
      if (absl::SimpleAtod(value, &v)) return absl::OkStatus();
      return absl::InvalidArgumentError(
          absl::StrCat("--", spec.name, " takes a number, got '", value, "'"));
    }
    case FlagKind::kBool: {
      bool v;
      if (absl::SimpleAtob(value, &v)) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(
          "--", spec.name, " takes true or false, got '", value, "'"));
    }
  }
  return absl::InternalError("unknown flag kind");
}

const char* KindName(FlagKind kind) {
  switch (kind) {
    case FlagKind::kString:
      return "STRING";
    case FlagKind::kInt:
      return "INT";
    case FlagKind::kDouble:
      return "NUMBER";
    case FlagKind::kBool:
      return "";
  }
  return "";
}

}  // namespace

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<FlagSpec>& specs,
                                     const std::vector<std::string>& args) {
  ParsedArgs parsed;
  for (const FlagSpec& spec : specs) {
    parsed.values_[spec.name] = {spec.kind, spec.default_value};
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      for (++i; i < args.size(); ++i) parsed.positional_.push_back(args[i]);
      break;
    }
    const FlagSpec* spec = nullptr;
    std::string value;
    bool has_value = false;
    if (absl::StartsWith(arg, "--")) {
      std::string name = arg.substr(2);
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      spec = FindSpec(specs, name);
      if (spec == nullptr && !has_value && absl::StartsWith(name, "no")) {
        const FlagSpec* negated = FindSpec(specs, name.substr(2));
        if (negated != nullptr && negated->kind == FlagKind::kBool) {
          spec = negated;
          value = "false";
          has_value = true;
        }
      }
      if (spec == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown flag --", name));
      }
    } else if (arg.size() == 2 && arg[0] == '-' && arg[1] != '-') {
      spec = FindShort(specs, arg[1]);
      if (spec == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("unknown flag ", arg));
      }
    } else {
      parsed.positional_.push_back(arg);
      continue;
    }
    if (!has_value) {
      if (spec->kind == FlagKind::kBool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("--", spec->name, " needs a value"));
      }
    }
    if (absl::Status s = CheckValue(*spec, value); !s.ok()) return s;
    parsed.values_[spec->name] = {spec->kind, value};
    parsed.set_[spec->name] = true;
    if (spec->repeated) parsed.repeated_[spec->name].push_back(value);
  }
  return parsed;
}

const std::string& ParsedArgs::Raw(const std::string& name,
                                   FlagKind kind) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.first != kind) {
    std::fprintf(stderr, "internal error: flag --%s is not declared as used\n",
                 name.c_str());
    std::abort();
  }
  return it->second.second;
}

const std::string& ParsedArgs::GetString(const std::string& name) const {
  return Raw(name, FlagKind::kString);
}

const std::vector<std::string>& ParsedArgs::GetStrings(
    const std::string& name) const {
  Raw(name, FlagKind::kString);  // declared as a string flag
  static const std::vector<std::string>* const kNone =
      new std::vector<std::string>();
  auto it = repeated_.find(name);
  return it == repeated_.end() ? *kNone : it->second;
}

int64_t ParsedArgs::GetInt(const std::string& name) const {
  int64_t v = 0;
  const std::string& raw = Raw(name, FlagKind::kInt);
  if (!raw.empty() && !absl::SimpleAtoi(raw, &v)) std::abort();
  return v;
}

double ParsedArgs::GetDouble(const std::string& name) const {
  double v = 0;
  const std::string& raw = Raw(name, FlagKind::kDouble);
  if (!raw.empty() && !absl::SimpleAtod(raw, &v)) std::abort();
  return v;
}

bool ParsedArgs::GetBool(const std::string& name) const {
  bool v = false;
  const std::string& raw = Raw(name, FlagKind::kBool);
  if (!raw.empty() && !absl::SimpleAtob(raw, &v)) std::abort();
  return v;
}

bool ParsedArgs::IsSet(const std::string& name) const {
  return set_.count(name) > 0;
}

std::string CommandHelp(const Command& command) {
  std::string out =
      absl::StrCat("usage: ", command.usage, "\n\n", command.summary, "\n");
  if (!command.details.empty())
    absl::StrAppend(&out, "\n", command.details, "\n");
  absl::StrAppend(&out, "\nflags:\n");
  for (const FlagSpec& spec : command.flags) {
    std::string left =
        spec.short_name != 0
            ? absl::StrFormat("  -%c, --%s", spec.short_name, spec.name)
            : absl::StrCat("      --", spec.name);
    if (spec.kind != FlagKind::kBool)
      absl::StrAppend(&left, " ", KindName(spec.kind));
    std::string right = spec.help;
    if (spec.repeated) absl::StrAppend(&right, " (repeatable)");
    if (!spec.default_value.empty()) {
      absl::StrAppend(&right, " (default: ", spec.default_value, ")");
    }
    if (left.size() < 28) {
      absl::StrAppend(&out, absl::StrFormat("%-28s %s\n", left, right));
    } else {
      absl::StrAppend(&out, left, "\n", std::string(29, ' '), right, "\n");
    }
  }
  absl::StrAppend(
      &out, absl::StrFormat("%-28s %s\n", "  -h, --help", "show this help"));
  return out;
}

namespace {

std::string MainHelp(const std::vector<Command>& commands) {
  std::string out =
      "usage: edgellm COMMAND [FLAGS...]\n\n"
      "edgellm: on-device LLM inference runtime (int8 models, gRPC "
      "streaming).\n\n"
      "commands:\n";
  for (const Command& c : commands) {
    absl::StrAppend(&out, absl::StrFormat("  %-12s %s\n", c.name, c.summary));
  }
  absl::StrAppend(
      &out, "\nRun `edgellm COMMAND --help` for the flags of a command.\n");
  return out;
}

}  // namespace

int RunMain(const std::vector<Command>& commands, int argc, char** argv) {
  if (argc < 2) {
    std::cerr << MainHelp(commands);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    if (name == "help" && argc >= 3) {
      for (const Command& c : commands) {
        if (c.name == argv[2]) {
          std::cout << CommandHelp(c);
          return 0;
        }
      }
    }
    std::cout << MainHelp(commands);
    return 0;
  }
  for (const Command& command : commands) {
    if (command.name != name) continue;
    std::vector<std::string> args(argv + 2, argv + argc);
    for (const std::string& a : args) {
      if (a == "--") break;
      if (a == "--help" || a == "-h") {
        std::cout << CommandHelp(command);
        return 0;
      }
    }
    absl::StatusOr<ParsedArgs> parsed = ParseArgs(command.flags, args);
    if (!parsed.ok()) {
      std::cerr << "edgellm " << name << ": " << parsed.status().message()
                << "\nRun `edgellm " << name << " --help` for usage.\n";
      return 2;
    }
    return command.run(*parsed);
  }
  std::cerr << "edgellm: unknown command '" << name << "'\n\n"
            << MainHelp(commands);
  return 2;
}

}  // namespace edgellm::cli
