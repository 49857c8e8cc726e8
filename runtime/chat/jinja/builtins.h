// The built-in filters, tests, globals and Python methods of the
// environment Hugging Face's apply_chat_template sets up: Jinja2 3.1's
// built-ins, tojson as json.dumps, raise_exception and strftime_now.
#ifndef EDGELLM_RUNTIME_CHAT_JINJA_BUILTINS_H_
#define EDGELLM_RUNTIME_CHAT_JINJA_BUILTINS_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/chat/jinja/value.h"

namespace edgellm::chat::jinja {

class Interpreter;

// Arguments of a call, as Python receives them.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;
};

using FilterFn = absl::StatusOr<Value> (*)(Interpreter& in, const Value& value,
                                           const CallArgs& args);
using TestFn = absl::StatusOr<bool> (*)(Interpreter& in, const Value& value,
                                        const CallArgs& args);
using MethodFn = absl::StatusOr<Value> (*)(Interpreter& in, const Value& self,
                                           const CallArgs& args);
using FunctionFn = absl::StatusOr<Value> (*)(Interpreter& in,
                                             const CallArgs& args);

// nullptr when there is no such filter / test.
FilterFn FindFilter(std::string_view name);
TestFn FindTest(std::string_view name);
bool IsKnownFilter(std::string_view name);
// Whether a test takes an argument besides the value (divisibleby, eq, ...).
bool TestTakesArgument(std::string_view name);
bool IsKnownTest(std::string_view name);

// Python attribute lookup on str, list, tuple and dict values: a bound
// method, an undefined value marked unsafe for the mutating methods the
// sandbox refuses, or nullopt when the type has no such attribute.
std::optional<Value> BuiltinAttribute(const Value& self, std::string_view name);

// The environment's globals (range, dict, namespace, cycler, joiner,
// lipsum, raise_exception, strftime_now); nullptr when not one.
const Value* FindGlobal(std::string_view name);

// Binds positional and keyword arguments to a Python signature, the way a
// builtin function receives them.
class ArgReader {
 public:
  ArgReader(const CallArgs& args, std::string_view function,
            std::vector<std::string_view> names);
  // Too many positional arguments or unknown keywords.
  absl::Status Check() const;
  // The argument at `index` of the signature, or nullopt when not given.
  std::optional<Value> Get(size_t index) const;
  Value GetOr(size_t index, Value fallback) const {
    auto v = Get(index);
    return v ? *std::move(v) : std::move(fallback);
  }

 private:
  const CallArgs& args_;
  std::string function_;
  std::vector<std::string_view> names_;
};

}  // namespace edgellm::chat::jinja

#endif  // EDGELLM_RUNTIME_CHAT_JINJA_BUILTINS_H_
