// Jinja2 3.1's built-in tests (jinja2/tests.py), with Python's notion of
// each type: bool is a number and an int subclass, Undefined is iterable,
// a sequence and callable.
#include "runtime/chat/jinja/builtins.h"
#include "runtime/chat/jinja/error.h"
#include "runtime/chat/jinja/interpreter.h"
#include "runtime/chat/jinja/objects.h"
#include "runtime/chat/jinja/operators.h"
#include "runtime/chat/jinja/py_str.h"
#include "runtime/chat/jinja/str_cat.h"
#include "util/status_macros.h"

namespace edgellm::chat::jinja {
namespace {

using Result = absl::StatusOr<bool>;

absl::StatusOr<Value> Arg(const CallArgs& args, std::string_view test) {
  if (args.positional.size() == 1 && args.keywords.empty())
    return args.positional[0];
  if (args.positional.empty() && args.keywords.size() == 1)
    return args.keywords[0].second;
  return MakeError(
      ErrorType::kTypeError,
      Cat("test_", test, "() takes exactly 2 positional arguments"));
}

Result Defined(Interpreter&, const Value& v, const CallArgs&) {
  return !v.is_undefined();
}
Result Undefined(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_undefined();
}
Result None(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_none();
}
Result Boolean(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_bool();
}
Result False(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_bool() && !v.bool_value();
}
Result True(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_bool() && v.bool_value();
}
Result Integer(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_int();
}
Result Float(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_float();
}
Result Number(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_number();
}
Result String(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_string();
}
Result Mapping(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_dict();
}

Result Sequence(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_string() || v.is_sequence() || v.is_dict() || v.is_undefined() ||
         dynamic_cast<const Range*>(AsJinjaObject(v)) != nullptr;
}

Result Iterable(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_string() || v.is_sequence() || v.is_dict() || v.is_undefined())
    return true;
  if (const JinjaObject* o = AsJinjaObject(v)) {
    return dynamic_cast<const Iterator*>(o) != nullptr ||
           dynamic_cast<const Range*>(o) != nullptr ||
           dynamic_cast<const LoopObject*>(o) != nullptr;
  }
  return false;
}

Result Callable(Interpreter&, const Value& v, const CallArgs&) {
  if (v.is_undefined()) return true;
  return v.is_object() && v.object().IsCallable();
}

Result Escaped(Interpreter&, const Value&, const CallArgs&) { return false; }

absl::StatusOr<Value> Mod(Interpreter& in, const Value& v, const Value& n) {
  return BinaryOperation(BinaryOp::kMod, v, n, in.max_bytes(), in.max_items());
}

Result Odd(Interpreter& in, const Value& v, const CallArgs&) {
  EDGELLM_ASSIGN_OR_RETURN(Value m, Mod(in, v, Value::Int(2)));
  return Equals(m, Value::Int(1));
}
Result Even(Interpreter& in, const Value& v, const CallArgs&) {
  EDGELLM_ASSIGN_OR_RETURN(Value m, Mod(in, v, Value::Int(2)));
  return Equals(m, Value::Int(0));
}
Result DivisibleBy(Interpreter& in, const Value& v, const CallArgs& args) {
  EDGELLM_ASSIGN_OR_RETURN(Value n, Arg(args, "divisibleby"));
  EDGELLM_ASSIGN_OR_RETURN(Value m, Mod(in, v, n));
  return Equals(m, Value::Int(0));
}

Result Lower(Interpreter&, const Value& v, const CallArgs&) {
  return py::IsLower(Str(v));
}
Result Upper(Interpreter&, const Value& v, const CallArgs&) {
  return py::IsUpper(Str(v));
}

template <CompareOp op>
Result Compare(Interpreter&, const Value& v, const CallArgs& args) {
  EDGELLM_ASSIGN_OR_RETURN(Value other, Arg(args, "compare"));
  return CompareValues(op, v, other);
}

Result In(Interpreter& in, const Value& v, const CallArgs& args) {
  EDGELLM_ASSIGN_OR_RETURN(Value seq, Arg(args, "in"));
  if (seq.is_object()) return in.ContainsInObject(seq, v);
  return Contains(seq, v);
}

// `is sameas`: Python identity. None, booleans and CPython's cached small
// ints are singletons; other values are the same object only when they
// share storage.
Result SameAs(Interpreter&, const Value& v, const CallArgs& args) {
  EDGELLM_ASSIGN_OR_RETURN(Value other, Arg(args, "sameas"));
  if (v.kind() != other.kind()) return false;
  switch (v.kind()) {
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kBool:
      return v.bool_value() == other.bool_value();
    case Value::Kind::kInt:
      return v.int_value() == other.int_value() && v.int_value() >= -5 &&
             v.int_value() <= 256;
    case Value::Kind::kUndefined:
    case Value::Kind::kFloat:
      return false;
    default:
      return v.identity() == other.identity();
  }
}

Result FilterTest(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_string() && IsKnownFilter(v.str());
}
Result TestTest(Interpreter&, const Value& v, const CallArgs&) {
  return v.is_string() && IsKnownTest(v.str());
}

struct TestEntry {
  std::string_view name;
  TestFn fn;
  bool takes_argument;
};

// Every test of Jinja2 3.1.2 (jinja2.tests.TESTS).
constexpr TestEntry kTests[] = {
    {"odd", Odd, false},
    {"even", Even, false},
    {"divisibleby", DivisibleBy, true},
    {"defined", Defined, false},
    {"undefined", Undefined, false},
    {"filter", FilterTest, false},
    {"test", TestTest, false},
    {"none", None, false},
    {"boolean", Boolean, false},
    {"false", False, false},
    {"true", True, false},
    {"integer", Integer, false},
    {"float", Float, false},
    {"lower", Lower, false},
    {"upper", Upper, false},
    {"string", String, false},
    {"mapping", Mapping, false},
    {"number", Number, false},
    {"sequence", Sequence, false},
    {"iterable", Iterable, false},
    {"callable", Callable, false},
    {"sameas", SameAs, true},
    {"escaped", Escaped, false},
    {"in", In, true},
    {"==", Compare<CompareOp::kEq>, true},
    {"eq", Compare<CompareOp::kEq>, true},
    {"equalto", Compare<CompareOp::kEq>, true},
    {"!=", Compare<CompareOp::kNe>, true},
    {"ne", Compare<CompareOp::kNe>, true},
    {">", Compare<CompareOp::kGt>, true},
    {"gt", Compare<CompareOp::kGt>, true},
    {"greaterthan", Compare<CompareOp::kGt>, true},
    {">=", Compare<CompareOp::kGe>, true},
    {"ge", Compare<CompareOp::kGe>, true},
    {"<", Compare<CompareOp::kLt>, true},
    {"lt", Compare<CompareOp::kLt>, true},
    {"lessthan", Compare<CompareOp::kLt>, true},
    {"<=", Compare<CompareOp::kLe>, true},
    {"le", Compare<CompareOp::kLe>, true},
};

}  // namespace

TestFn FindTest(std::string_view name) {
  for (const TestEntry& t : kTests) {
    if (t.name == name) return t.fn;
  }
  return nullptr;
}

bool TestTakesArgument(std::string_view name) {
  for (const TestEntry& t : kTests) {
    if (t.name == name) return t.takes_argument;
  }
  return false;
}

bool IsKnownTest(std::string_view name) { return FindTest(name) != nullptr; }

}  // namespace edgellm::chat::jinja
