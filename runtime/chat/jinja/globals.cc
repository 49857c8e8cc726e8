// The environment's global functions: Jinja2's defaults (range, dict,
// namespace, cycler, joiner, lipsum) and Hugging Face's raise_exception and
// strftime_now.
#include <cmath>
#include <ctime>

#include "runtime/chat/jinja/builtins.h"
#include "runtime/chat/jinja/error.h"
#include "runtime/chat/jinja/interpreter.h"
#include "runtime/chat/jinja/objects.h"
#include "runtime/chat/jinja/operators.h"
#include "runtime/chat/jinja/str_cat.h"
#include "util/status_macros.h"

namespace edgellm::chat::jinja {
namespace {

using Result = absl::StatusOr<Value>;

// The sandbox's MAX_RANGE.
constexpr int64_t kMaxRange = 100000;

Result RangeFn(Interpreter& in, const CallArgs& args) {
  if (!args.keywords.empty()) {
    return MakeError(ErrorType::kTypeError,
                     "range() takes no keyword arguments");
  }
  const auto& p = args.positional;
  if (p.empty() || p.size() > 3) {
    return MakeError(ErrorType::kTypeError,
                     Cat("range expected at most 3 arguments, got ", p.size()));
  }
  for (const Value& v : p) {
    if (v.is_undefined()) return UndefinedFailure(v);
    if (!v.is_integral()) {
      return MakeError(ErrorType::kTypeError,
                       Cat("'", v.TypeName(),
                           "' object cannot be interpreted as an integer"));
    }
  }
  int64_t start = 0, stop, step = 1;
  if (p.size() == 1) {
    stop = p[0].int_value();
  } else {
    start = p[0].int_value();
    stop = p[1].int_value();
    if (p.size() == 3) step = p[2].int_value();
  }
  if (step == 0)
    return MakeError(ErrorType::kValueError, "range() arg 3 must not be zero");
  // Length computed in floating point to avoid overflow on hostile bounds.
  const long double span =
      static_cast<long double>(stop) - static_cast<long double>(start);
  long double count = span / static_cast<long double>(step);
  if (count < 0) count = 0;
  if (count > kMaxRange) {
    return MakeError(ErrorType::kOverflowError,
                     "Range too big. The sandbox blocks ranges larger than "
                     "MAX_RANGE (100000).");
  }
  const int64_t n = static_cast<int64_t>(std::ceil(count));
  EDGELLM_RETURN_IF_ERROR(in.Charge(1));
  return Value::FromObject(std::make_shared<Range>(start, stop, step, n));
}

Result DictFn(Interpreter& in, const CallArgs& args) {
  Dict d;
  if (args.positional.size() > 1) {
    return MakeError(
        ErrorType::kTypeError,
        Cat("dict expected at most 1 argument, got ", args.positional.size()));
  }
  if (args.positional.size() == 1) {
    const Value& src = args.positional[0];
    if (src.is_dict()) {
      d = src.dict();
    } else {
      EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> pairs, in.Iterate(src));
      for (const Value& pair : pairs) {
        EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> kv, in.Iterate(pair));
        if (kv.size() != 2) {
          return MakeError(
              ErrorType::kValueError,
              "dictionary update sequence element has wrong length");
        }
        d.Set(kv[0], kv[1]);
      }
    }
  }
  for (const auto& [k, v] : args.keywords) d.Set(k, v);
  return Value::FromDict(std::move(d));
}

Result NamespaceFn(Interpreter& in, const CallArgs& args) {
  auto ns = std::make_shared<Namespace>();
  in.TrackMutable(ns);
  for (const Value& p : args.positional) {
    if (!p.is_dict()) {
      return MakeError(
          ErrorType::kTypeError,
          Cat("cannot convert '", p.TypeName(), "' to a namespace"));
    }
    for (const auto& [k, v] : p.dict().entries()) {
      if (k.is_string()) ns->Set(k.str(), v);
    }
  }
  for (const auto& [k, v] : args.keywords) ns->Set(k, v);
  return Value::FromObject(std::move(ns));
}

Result CyclerFn(Interpreter&, const CallArgs& args) {
  if (args.positional.empty()) {
    return MakeError(ErrorType::kRuntimeError,
                     "at least one item has to be provided");
  }
  return Value::FromObject(std::make_shared<Cycler>(args.positional));
}

Result JoinerFn(Interpreter&, const CallArgs& args) {
  ArgReader r(args, "joiner", {"sep"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  return Value::FromObject(
      std::make_shared<Joiner>(Str(r.GetOr(0, Value::String(", ")))));
}

Result Lipsum(Interpreter&, const CallArgs&) {
  return MakeError(ErrorType::kTemplateRuntimeError,
                   "lipsum() is not supported by this renderer (it is random)");
}

Result RaiseException(Interpreter&, const CallArgs& args) {
  ArgReader r(args, "raise_exception", {"message"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  auto message = r.Get(0);
  if (!message) {
    return MakeError(
        ErrorType::kTypeError,
        "raise_exception() missing 1 required positional argument: 'message'");
  }
  return MakeError(ErrorType::kTemplateError, Str(*message));
}

Result StrftimeNow(Interpreter& in, const CallArgs& args) {
  ArgReader r(args, "strftime_now", {"format"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  auto format = r.Get(0);
  if (!format || !format->is_string()) {
    return MakeError(ErrorType::kTypeError,
                     "strftime() argument 1 must be str");
  }
  std::tm tm{};
  if (in.options().now) {
    tm = in.options().now();
  } else {
    const std::time_t t = std::time(nullptr);
    localtime_r(&t, &tm);
  }
  // strftime's result for a format of n bytes stays well below 64n + 256
  // (the longest conversions are a few dozen characters).
  const std::string& f = format->str();
  if (f.empty()) return Value::String("");
  std::string buf(std::min<size_t>(f.size() * 64 + 256, in.max_bytes()), '\0');
  const size_t n = std::strftime(buf.data(), buf.size(), f.c_str(), &tm);
  buf.resize(n);
  return Value::String(std::move(buf));
}

struct GlobalEntry {
  std::string_view name;
  FunctionFn fn;
};

constexpr GlobalEntry kGlobals[] = {
    {"range", RangeFn},
    {"dict", DictFn},
    {"namespace", NamespaceFn},
    {"cycler", CyclerFn},
    {"joiner", JoinerFn},
    {"lipsum", Lipsum},
    {"raise_exception", RaiseException},
    {"strftime_now", StrftimeNow},
};

}  // namespace

const Value* FindGlobal(std::string_view name) {
  // Function objects are immutable and stateless: one set serves all renders.
  static const auto* values = [] {
    auto* v = new std::vector<std::pair<std::string_view, Value>>();
    for (const GlobalEntry& g : kGlobals) {
      v->emplace_back(
          g.name, Value::FromObject(std::make_shared<Function>(g.fn, g.name)));
    }
    return v;
  }();
  for (const auto& [n, v] : *values) {
    if (n == name) return &v;
  }
  return nullptr;
}

}  // namespace edgellm::chat::jinja
