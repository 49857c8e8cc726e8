#include "runtime/chat/jinja/interpreter.h"

#include <memory>
#include <optional>

#include "runtime/chat/jinja/error.h"
#include "runtime/chat/jinja/lexer.h"
#include "runtime/chat/jinja/operators.h"
#include "runtime/chat/jinja/py_str.h"
#include "runtime/chat/jinja/str_cat.h"
#include "util/status_macros.h"

namespace edgellm::chat::jinja {
namespace {

// Lists and dicts nest at most this deep (their destruction and comparison
// recurse).
constexpr int kMaxValueDepth = 500;

absl::Status LimitError(std::string_view what) {
  return MakeError(ErrorType::kLimitExceeded, what);
}

// Names beginning and ending with "__" exist on every Python object and the
// sandbox refuses them all.
bool IsDunder(std::string_view name) {
  return name.size() >= 4 && name.substr(0, 2) == "__" &&
         name.substr(name.size() - 2) == "__";
}

Value UnsafeAttribute(const Value& obj, std::string_view name) {
  return Value::Undefined(Cat("access to attribute '", name, "' of '",
                              obj.TypeName(), "' object is unsafe."),
                          /*security=*/true);
}

Value NoAttribute(const Value& obj, std::string_view name) {
  return Value::Undefined(Cat(py::StringRepr(ObjectTypeRepr(obj)),
                              " has no attribute ", py::StringRepr(name)));
}

// Python's attribute step of the sandbox's getattr / getitem.
std::optional<Value> PythonAttribute(const Value& obj, std::string_view name) {
  if (IsDunder(name)) return UnsafeAttribute(obj, name);
  if (!name.empty() && name[0] == '_') return std::nullopt;
  if (const JinjaObject* o = AsJinjaObject(obj)) return o->GetAttr(name);
  return BuiltinAttribute(obj, name);
}

std::optional<int64_t> IndexOf(const Value& key, size_t size) {
  if (!key.is_integral()) return std::nullopt;
  int64_t i = key.int_value();
  if (i < 0) i += static_cast<int64_t>(size);
  if (i < 0 || i >= static_cast<int64_t>(size)) return std::nullopt;
  return i;
}

}  // namespace

class Interpreter::DepthGuard {
 public:
  explicit DepthGuard(Interpreter* in) : in_(in) { ++in_->depth_; }
  ~DepthGuard() { --in_->depth_; }
  absl::Status Check() const {
    if (in_->depth_ > in_->options_.max_depth) {
      return LimitError(Cat("template nesting or recursion deeper than ",
                            in_->options_.max_depth));
    }
    return absl::OkStatus();
  }

 private:
  Interpreter* in_;
};

Interpreter::Interpreter(std::string_view source, const Body& body,
                         const Dict& context, const RenderOptions& options)
    : source_(source), body_(body), context_(context), options_(options) {}

Interpreter::~Interpreter() {
  for (const auto& object : mutable_objects_) object->ReleaseReferences();
  // Scopes may hold the last references to objects; drop them after the
  // cycles are broken.
  root_.vars.clear();
}

absl::StatusOr<std::string> Interpreter::Render() {
  std::string out;
  out_ = &out;
  EDGELLM_RETURN_IF_ERROR(ExecBody(body_));
  return out;
}

absl::Status Interpreter::Positioned(const absl::Status& status,
                                     uint32_t offset) const {
  if (status.ok()) return status;
  int line, column;
  LineColumn(source_, offset, line, column);
  return WithPosition(status, line, column);
}

absl::Status Interpreter::Charge(int64_t units) {
  steps_ += units;
  if (steps_ > options_.max_steps) {
    return LimitError(Cat("template exceeded its work limit (",
                          options_.max_steps, " steps)"));
  }
  return absl::OkStatus();
}

absl::Status Interpreter::Emit(std::string_view text) {
  if (out_->size() + text.size() > options_.max_output_bytes) {
    return LimitError(Cat("template output larger than ",
                          options_.max_output_bytes, " bytes"));
  }
  out_->append(text);
  return Charge(1 + static_cast<int64_t>(text.size() / 64));
}

// ---- statements ----

absl::Status Interpreter::ExecBody(const Body& body) {
  for (const StmtPtr& s : body) {
    EDGELLM_RETURN_IF_ERROR(Exec(*s));
    if (flow_ != Flow::kNormal) return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status Interpreter::Capture(const Body& body, std::string& out) {
  std::string* saved = out_;
  out_ = &out;
  Scope inner(scope_);
  scope_ = &inner;
  absl::Status status = ExecBody(body);
  scope_ = inner.parent;
  out_ = saved;
  return status;
}

absl::Status Interpreter::Exec(const Stmt& s) {
  DepthGuard guard(this);
  EDGELLM_RETURN_IF_ERROR(guard.Check());
  EDGELLM_RETURN_IF_ERROR(Charge(1));
  switch (s.kind) {
    case StmtKind::kData:
      return Emit(s.text);
    case StmtKind::kPrint: {
      EDGELLM_ASSIGN_OR_RETURN(Value v, Eval(*s.expr));
      if (v.is_string()) return Emit(v.str());
      return Emit(Str(v));
    }
    case StmtKind::kIf:
      for (size_t i = 0; i < s.tests.size(); ++i) {
        EDGELLM_ASSIGN_OR_RETURN(Value test, Eval(*s.tests[i]));
        if (Truthy(test)) return ExecBody(s.bodies[i]);
      }
      return ExecBody(s.else_body);
    case StmtKind::kFor: {
      EDGELLM_ASSIGN_OR_RETURN(Value iterable, Eval(*s.expr));
      return ExecFor(s, iterable, 1);
    }
    case StmtKind::kSet:
    case StmtKind::kSetBlock:
      return ExecSet(s);
    case StmtKind::kMacro:
      scope_->Set(s.text, Value::FromObject(std::make_shared<Macro>(
                              &s, s.text, scope_->Token())));
      return absl::OkStatus();
    case StmtKind::kCallBlock:
      return ExecCallBlock(s);
    case StmtKind::kFilterBlock: {
      std::string body;
      EDGELLM_RETURN_IF_ERROR(Capture(s.body, body));
      const Value input = Value::String(std::move(body));
      const Value* saved = block_input_;
      block_input_ = &input;
      absl::StatusOr<Value> v = Eval(*s.expr);
      block_input_ = saved;
      if (!v.ok()) return v.status();
      return Emit(Str(*v));
    }
    case StmtKind::kWith: {
      std::vector<Value> values;
      for (const auto& v : s.with_values) {
        EDGELLM_ASSIGN_OR_RETURN(Value value, Eval(*v));
        values.push_back(std::move(value));
      }
      Scope inner(scope_);
      scope_ = &inner;
      absl::Status status;
      for (size_t i = 0; i < values.size() && status.ok(); ++i) {
        status = Assign(*s.with_targets[i], values[i]);
      }
      if (status.ok()) status = ExecBody(s.body);
      scope_ = inner.parent;
      return status;
    }
    case StmtKind::kScope: {
      Scope inner(scope_);
      scope_ = &inner;
      absl::Status status = ExecBody(s.body);
      scope_ = inner.parent;
      return status;
    }
    case StmtKind::kBreak:
      flow_ = Flow::kBreak;
      return absl::OkStatus();
    case StmtKind::kContinue:
      flow_ = Flow::kContinue;
      return absl::OkStatus();
    case StmtKind::kUnsupported:
      return Positioned(MakeError(ErrorType::kTypeError,
                                  "no loader for this environment specified"),
                        s.offset);
  }
  return absl::OkStatus();
}

absl::Status Interpreter::ExecFor(const Stmt& s, const Value& iterable,
                                  int depth) {
  absl::StatusOr<std::vector<Value>> all = Iterate(iterable);
  if (!all.ok()) return Positioned(all.status(), s.expr->offset);
  std::vector<Value> items;
  if (s.condition) {
    for (Value& item : *all) {
      Scope filter_scope(scope_);
      scope_ = &filter_scope;
      absl::Status status = Assign(*s.target, item);
      absl::StatusOr<Value> keep =
          status.ok() ? Eval(*s.condition) : absl::StatusOr<Value>(status);
      scope_ = filter_scope.parent;
      if (!keep.ok()) return keep.status();
      if (Truthy(*keep)) items.push_back(std::move(item));
    }
  } else {
    items = *std::move(all);
  }
  if (items.empty()) {
    Scope inner(scope_);
    scope_ = &inner;
    absl::Status status = ExecBody(s.else_body);
    scope_ = inner.parent;
    return status;
  }
  auto shared = std::make_shared<const std::vector<Value>>(std::move(items));
  auto loop = std::make_shared<LoopObject>(shared, depth, &s, scope_->Token());
  const Value loop_value = Value::FromObject(loop);
  for (size_t i = 0; i < shared->size(); ++i) {
    EDGELLM_RETURN_IF_ERROR(Charge(1));
    loop->set_index0(i);
    Scope iteration(scope_);
    scope_ = &iteration;
    absl::Status status = Assign(*s.target, (*shared)[i]);
    if (status.ok()) {
      iteration.Set("loop", loop_value);
      status = ExecBody(s.body);
    }
    scope_ = iteration.parent;
    if (!status.ok()) return status;
    if (flow_ == Flow::kBreak) {
      flow_ = Flow::kNormal;
      break;
    }
    flow_ = Flow::kNormal;
  }
  return absl::OkStatus();
}

absl::Status Interpreter::ExecSet(const Stmt& s) {
  Value value;
  if (s.kind == StmtKind::kSet) {
    EDGELLM_ASSIGN_OR_RETURN(value, Eval(*s.expr));
  } else {
    std::string body;
    EDGELLM_RETURN_IF_ERROR(Capture(s.body, body));
    value = Value::String(std::move(body));
    if (s.expr) {
      const Value* saved = block_input_;
      block_input_ = &value;
      absl::StatusOr<Value> filtered = Eval(*s.expr);
      block_input_ = saved;
      if (!filtered.ok()) return filtered.status();
      value = *std::move(filtered);
    }
  }
  return Positioned(Assign(*s.target, value), s.offset);
}

absl::Status Interpreter::ExecCallBlock(const Stmt& s) {
  const Value caller =
      Value::FromObject(std::make_shared<Macro>(&s, "caller", scope_->Token()));
  EDGELLM_ASSIGN_OR_RETURN(Value v, EvalCall(*s.expr, &caller));
  return Emit(Str(v));
}

absl::Status Interpreter::Assign(const Expr& target, const Value& value) {
  switch (target.kind) {
    case ExprKind::kName:
      scope_->Set(target.name, value);
      return absl::OkStatus();
    case ExprKind::kTuple: {
      EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(value));
      const size_t want = target.args.size();
      if (items.size() < want) {
        return MakeError(ErrorType::kValueError,
                         Cat("not enough values to unpack (expected ", want,
                             ", got ", items.size(), ")"));
      }
      if (items.size() > want) {
        return MakeError(
            ErrorType::kValueError,
            Cat("too many values to unpack (expected ", want, ")"));
      }
      for (size_t i = 0; i < want; ++i) {
        EDGELLM_RETURN_IF_ERROR(Assign(*target.args[i], items[i]));
      }
      return absl::OkStatus();
    }
    case ExprKind::kNsRef: {
      const Value ns = Lookup(target.name);
      const auto* object = dynamic_cast<const Namespace*>(AsJinjaObject(ns));
      if (object == nullptr) {
        return MakeError(ErrorType::kTemplateRuntimeError,
                         "cannot assign attribute on non-namespace object");
      }
      object->Set(target.attr, value);
      return absl::OkStatus();
    }
    default:
      return MakeError(ErrorType::kTemplateSyntaxError,
                       "cannot assign to expression");
  }
}

// ---- expressions ----

Value Interpreter::Lookup(std::string_view name) const {
  for (const Scope* s = scope_; s != nullptr; s = s->parent) {
    if (const Value* v = s->Find(name)) return *v;
  }
  if (const Value* v = context_.Find(name)) return *v;
  if (const Value* v = FindGlobal(name)) return *v;
  return Value::Undefined(Cat(py::StringRepr(name), " is undefined"));
}

absl::StatusOr<Value> Interpreter::Eval(const Expr& e) {
  DepthGuard guard(this);
  absl::Status status = guard.Check();
  if (status.ok()) status = Charge(1);
  if (!status.ok()) return Positioned(status, e.offset);
  absl::StatusOr<Value> v = EvalInner(e);
  if (!v.ok()) return Positioned(v.status(), e.offset);
  if (v->container_depth() > kMaxValueDepth) {
    return Positioned(
        LimitError(Cat("value nested deeper than ", kMaxValueDepth)), e.offset);
  }
  // Work in proportion to the size of what was made.
  if (v->is_string() && v->str().size() >= 256) {
    status = Charge(static_cast<int64_t>(v->str().size() / 256));
  } else if (v->is_sequence() && v->items().size() >= 32) {
    status = Charge(static_cast<int64_t>(v->items().size() / 32));
  }
  if (!status.ok()) return Positioned(status, e.offset);
  return v;
}

absl::StatusOr<Value> Interpreter::EvalInner(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kConst:
      return e.constant;
    case ExprKind::kName:
      return Lookup(e.name);
    case ExprKind::kNsRef:
      return MakeError(ErrorType::kTemplateSyntaxError,
                       "namespace reference outside set");
    case ExprKind::kGetattr: {
      EDGELLM_ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0]));
      return GetAttr(obj, e.name);
    }
    case ExprKind::kGetitem:
      return EvalGetitem(e);
    case ExprKind::kSlice:
      return MakeError(ErrorType::kTemplateSyntaxError,
                       "slice outside subscript");
    case ExprKind::kCall:
      return EvalCall(e, nullptr);
    case ExprKind::kFilter:
      return EvalFilter(e);
    case ExprKind::kTest:
      return EvalTest(e);
    case ExprKind::kNeg:
    case ExprKind::kPos: {
      EDGELLM_ASSIGN_OR_RETURN(Value v, Eval(*e.args[0]));
      return e.kind == ExprKind::kNeg ? Negate(v) : Positive(v);
    }
    case ExprKind::kNot: {
      EDGELLM_ASSIGN_OR_RETURN(Value v, Eval(*e.args[0]));
      return Value::Bool(!Truthy(v));
    }
    case ExprKind::kBinary: {
      EDGELLM_ASSIGN_OR_RETURN(Value a, Eval(*e.args[0]));
      EDGELLM_ASSIGN_OR_RETURN(Value b, Eval(*e.args[1]));
      return BinaryOperation(e.op, a, b, max_bytes(), max_items());
    }
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      EDGELLM_ASSIGN_OR_RETURN(Value a, Eval(*e.args[0]));
      if (Truthy(a) == (e.kind == ExprKind::kOr)) return a;
      return Eval(*e.args[1]);
    }
    case ExprKind::kConcat: {
      std::string out;
      for (const auto& a : e.args) {
        EDGELLM_ASSIGN_OR_RETURN(Value v, Eval(*a));
        out += v.is_string() ? v.str() : Str(v);
        if (out.size() > max_bytes())
          return LimitError("string larger than the output limit");
      }
      return Value::String(std::move(out));
    }
    case ExprKind::kCompare:
      return EvalCompare(e);
    case ExprKind::kCondExpr:
      return EvalCondExpr(e);
    case ExprKind::kList:
    case ExprKind::kTuple: {
      std::vector<Value> items;
      items.reserve(e.args.size());
      for (const auto& a : e.args) {
        EDGELLM_ASSIGN_OR_RETURN(Value v, Eval(*a));
        items.push_back(std::move(v));
      }
      return e.kind == ExprKind::kList ? Value::List(std::move(items))
                                       : Value::Tuple(std::move(items));
    }
    case ExprKind::kDict:
      return EvalDict(e);
  }
  return Value();
}

absl::StatusOr<Value> Interpreter::EvalGetitem(const Expr& e) {
  EDGELLM_ASSIGN_OR_RETURN(Value obj, Eval(*e.args[0]));
  const Expr& key = *e.args[1];
  if (key.kind != ExprKind::kSlice) {
    EDGELLM_ASSIGN_OR_RETURN(Value k, Eval(key));
    return GetItem(obj, k);
  }
  std::optional<int64_t> bounds[3];
  Value shown[3] = {Value::None(), Value::None(), Value::None()};
  for (int i = 0; i < 3; ++i) {
    if (!key.args[i]) continue;
    EDGELLM_ASSIGN_OR_RETURN(Value b, Eval(*key.args[i]));
    shown[i] = b;
    if (b.is_none()) continue;
    if (b.is_undefined()) return UndefinedFailure(b);
    if (!b.is_integral()) {
      if (obj.is_string() || obj.is_sequence()) {
        return MakeError(ErrorType::kTypeError,
                         "slice indices must be integers or None or have an "
                         "__index__ method");
      }
      continue;
    }
    bounds[i] = b.int_value();
  }
  if (obj.is_undefined()) return UndefinedFailure(obj);
  if (auto sliced = SliceValue(obj, bounds[0], bounds[1], bounds[2]))
    return *sliced;
  return Value::Undefined(Cat(ObjectTypeRepr(obj), " has no element slice(",
                              Repr(shown[0]), ", ", Repr(shown[1]), ", ",
                              Repr(shown[2]), ")"));
}

absl::Status Interpreter::EvalArgs(const Expr& e, size_t first,
                                   CallArgs& args) {
  for (size_t i = first; i < e.args.size(); ++i) {
    EDGELLM_ASSIGN_OR_RETURN(Value v, Eval(*e.args[i]));
    args.positional.push_back(std::move(v));
  }
  for (const Keyword& k : e.kwargs) {
    EDGELLM_ASSIGN_OR_RETURN(Value v, Eval(*k.value));
    args.keywords.emplace_back(k.name, std::move(v));
  }
  if (e.dyn_args) {
    EDGELLM_ASSIGN_OR_RETURN(Value v, Eval(*e.dyn_args));
    EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(v));
    for (Value& item : items) args.positional.push_back(std::move(item));
  }
  if (e.dyn_kwargs) {
    EDGELLM_ASSIGN_OR_RETURN(Value v, Eval(*e.dyn_kwargs));
    if (!v.is_dict()) {
      return MakeError(
          ErrorType::kTypeError,
          Cat("argument after ** must be a mapping, not ", v.TypeName()));
    }
    for (const auto& [k, val] : v.dict().entries()) {
      if (!k.is_string()) {
        return MakeError(ErrorType::kTypeError, "keywords must be strings");
      }
      args.keywords.emplace_back(k.str(), val);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Value> Interpreter::EvalCall(const Expr& e,
                                            const Value* caller) {
  EDGELLM_ASSIGN_OR_RETURN(Value callee, Eval(*e.args[0]));
  CallArgs args;
  EDGELLM_RETURN_IF_ERROR(EvalArgs(e, 1, args));
  if (caller != nullptr) args.keywords.emplace_back("caller", *caller);
  return Call(callee, args);
}

absl::StatusOr<Value> Interpreter::EvalFilter(const Expr& e) {
  Value input;
  if (e.args[0]) {
    EDGELLM_ASSIGN_OR_RETURN(input, Eval(*e.args[0]));
  } else if (block_input_ != nullptr) {
    input = *block_input_;
  }
  const FilterFn fn = e.filter;
  if (fn == nullptr) {
    return MakeError(ErrorType::kTemplateRuntimeError,
                     Cat("No filter named '", e.name, "' found."));
  }
  CallArgs args;
  EDGELLM_RETURN_IF_ERROR(EvalArgs(e, 1, args));
  return fn(*this, input, args);
}

absl::StatusOr<Value> Interpreter::EvalTest(const Expr& e) {
  EDGELLM_ASSIGN_OR_RETURN(Value input, Eval(*e.args[0]));
  const TestFn fn = e.test;
  if (fn == nullptr) {
    return MakeError(ErrorType::kTemplateRuntimeError,
                     Cat("No test named '", e.name, "' found."));
  }
  CallArgs args;
  EDGELLM_RETURN_IF_ERROR(EvalArgs(e, 1, args));
  const size_t given = args.positional.size() + args.keywords.size();
  if (!TestTakesArgument(e.name) && given > 0) {
    // Jinja2's callable test is Python's builtin callable().
    if (e.name == "callable") {
      return MakeError(
          ErrorType::kTypeError,
          Cat("callable() takes exactly one argument (", given + 1, " given)"));
    }
    return MakeError(ErrorType::kTypeError,
                     Cat("test_", e.name, "() takes 1 positional argument but ",
                         given + 1, " were given"));
  }
  EDGELLM_ASSIGN_OR_RETURN(bool r, fn(*this, input, args));
  return Value::Bool(r);
}

absl::StatusOr<Value> Interpreter::EvalCompare(const Expr& e) {
  EDGELLM_ASSIGN_OR_RETURN(Value left, Eval(*e.args[0]));
  for (size_t i = 0; i < e.compare_ops.size(); ++i) {
    EDGELLM_ASSIGN_OR_RETURN(Value right, Eval(*e.args[i + 1]));
    const CompareOp op = e.compare_ops[i];
    bool r;
    if ((op == CompareOp::kIn || op == CompareOp::kNotIn) &&
        right.is_object()) {
      EDGELLM_ASSIGN_OR_RETURN(r, ContainsInObject(right, left));
      if (op == CompareOp::kNotIn) r = !r;
    } else {
      EDGELLM_ASSIGN_OR_RETURN(r, CompareValues(op, left, right));
    }
    if (!r) return Value::Bool(false);
    left = std::move(right);
  }
  return Value::Bool(true);
}

absl::StatusOr<Value> Interpreter::EvalCondExpr(const Expr& e) {
  EDGELLM_ASSIGN_OR_RETURN(Value test, Eval(*e.args[1]));
  if (Truthy(test)) return Eval(*e.args[0]);
  if (e.args[2]) return Eval(*e.args[2]);
  return e.constant;
}

absl::StatusOr<Value> Interpreter::EvalDict(const Expr& e) {
  Dict d;
  for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
    EDGELLM_ASSIGN_OR_RETURN(Value k, Eval(*e.args[i]));
    EDGELLM_ASSIGN_OR_RETURN(Value v, Eval(*e.args[i + 1]));
    EDGELLM_RETURN_IF_ERROR(CheckHashable(k));
    d.Set(std::move(k), std::move(v));
  }
  return Value::FromDict(std::move(d));
}

// ---- services ----

absl::StatusOr<std::vector<Value>> Interpreter::Iterate(const Value& v) {
  std::vector<Value> out;
  switch (v.kind()) {
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      out = v.items();
      break;
    case Value::Kind::kString: {
      const std::string& s = v.str();
      size_t i = 0;
      while (i < s.size()) {
        size_t len = 1;
        while (i + len < s.size() &&
               (static_cast<unsigned char>(s[i + len]) & 0xC0) == 0x80) {
          ++len;
        }
        out.push_back(Value::String(s.substr(i, len)));
        i += len;
      }
      break;
    }
    case Value::Kind::kDict:
      for (const auto& [k, val] : v.dict().entries()) out.push_back(k);
      break;
    case Value::Kind::kUndefined:
      break;
    case Value::Kind::kObject: {
      const JinjaObject* o = AsJinjaObject(v);
      if (const auto* it = dynamic_cast<const Iterator*>(o);
          it && !it->error().ok()) {
        return it->error();
      }
      std::optional<std::vector<Value>> items = o ? o->Iterate() : std::nullopt;
      if (!items) {
        return MakeError(ErrorType::kTypeError,
                         Cat("'", v.TypeName(), "' object is not iterable"));
      }
      out = *std::move(items);
      break;
    }
    default:
      return MakeError(ErrorType::kTypeError,
                       Cat("'", v.TypeName(), "' object is not iterable"));
  }
  EDGELLM_RETURN_IF_ERROR(Charge(static_cast<int64_t>(out.size())));
  return out;
}

absl::StatusOr<bool> Interpreter::ContainsInObject(const Value& object,
                                                   const Value& item) {
  const JinjaObject* o = AsJinjaObject(object);
  const bool iterable =
      o != nullptr && (dynamic_cast<const Iterator*>(o) != nullptr ||
                       dynamic_cast<const Range*>(o) != nullptr ||
                       dynamic_cast<const LoopObject*>(o) != nullptr);
  if (!iterable) {
    return MakeError(
        ErrorType::kTypeError,
        Cat("argument of type '", object.TypeName(), "' is not iterable"));
  }
  // Membership in an iterator walks (and consumes) it.
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(object));
  return Contains(Value::List(std::move(items)), item);
}

absl::StatusOr<size_t> Interpreter::Length(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString:
      return py::Length(v.str());
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      return v.items().size();
    case Value::Kind::kDict:
      return v.dict().size();
    case Value::Kind::kUndefined:
      return size_t{0};
    case Value::Kind::kObject:
      if (const JinjaObject* o = AsJinjaObject(v)) {
        if (auto n = o->Length()) return *n;
      }
      [[fallthrough]];
    default:
      return MakeError(ErrorType::kTypeError,
                       Cat("object of type '", v.TypeName(), "' has no len()"));
  }
}

absl::StatusOr<Value> Interpreter::GetAttr(const Value& obj,
                                           std::string_view name) {
  if (obj.is_undefined()) return UndefinedFailure(obj);
  if (std::optional<Value> attr = PythonAttribute(obj, name))
    return *std::move(attr);
  if (obj.is_dict()) {
    if (const Value* v = obj.dict().Find(name)) return *v;
  }
  return NoAttribute(obj, name);
}

absl::StatusOr<Value> Interpreter::GetItem(const Value& obj, const Value& key) {
  if (obj.is_undefined()) return UndefinedFailure(obj);
  switch (obj.kind()) {
    case Value::Kind::kDict:
      // An unhashable key is a TypeError, which the sandbox turns into
      // undefined like a missing key.
      if (!CheckHashable(key).ok()) break;
      if (const Value* v = obj.dict().Find(key)) return *v;
      break;
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      if (auto i = IndexOf(key, obj.items().size())) return obj.items()[*i];
      break;
    case Value::Kind::kString:
      if (key.is_integral()) {
        const std::string& s = obj.str();
        if (py::IsAscii(s)) {
          if (auto i = IndexOf(key, s.size()))
            return Value::String(s.substr(*i, 1));
        } else {
          const std::u32string u = py::Decode(s);
          if (auto i = IndexOf(key, u.size())) {
            return Value::String(py::Encode(u.substr(*i, 1)));
          }
        }
      }
      break;
    case Value::Kind::kObject:
      if (const JinjaObject* o = AsJinjaObject(obj)) {
        if (auto item = o->GetItem(key)) return *std::move(item);
      }
      break;
    default:
      break;
  }
  if (key.is_string()) {
    if (std::optional<Value> attr = PythonAttribute(obj, key.str()))
      return *std::move(attr);
    return NoAttribute(obj, key.str());
  }
  return Value::Undefined(
      Cat(ObjectTypeRepr(obj), " has no element ", Repr(key)));
}

absl::StatusOr<Value> Interpreter::Call(const Value& callee,
                                        const CallArgs& args) {
  if (callee.is_undefined()) return UndefinedFailure(callee);
  if (const JinjaObject* o = AsJinjaObject(callee);
      o != nullptr && o->IsCallable()) {
    return o->Call(*this, args);
  }
  return MakeError(ErrorType::kTypeError,
                   Cat("'", callee.TypeName(), "' object is not callable"));
}

absl::StatusOr<Value> Interpreter::CallFilter(std::string_view name,
                                              const Value& value,
                                              const CallArgs& args) {
  const FilterFn fn = FindFilter(name);
  if (fn == nullptr) {
    return MakeError(ErrorType::kTemplateRuntimeError,
                     Cat("No filter named '", name, "'."));
  }
  return fn(*this, value, args);
}

absl::StatusOr<bool> Interpreter::CallTest(std::string_view name,
                                           const Value& value,
                                           const CallArgs& args) {
  const TestFn fn = FindTest(name);
  if (fn == nullptr) {
    return MakeError(ErrorType::kTemplateRuntimeError,
                     Cat("No test named '", name, "'."));
  }
  return fn(*this, value, args);
}

absl::StatusOr<Value> Interpreter::CallMacro(const Macro& macro,
                                             const CallArgs& args) {
  const Stmt& def = macro.def();
  const size_t n = def.params.size();
  Scope* parent = macro.closure() != nullptr ? macro.closure() : &root_;
  Scope call_scope(parent);
  Scope* saved_scope = scope_;
  scope_ = &call_scope;
  auto fail = [&](absl::Status status) {
    scope_ = saved_scope;
    return status;
  };
  std::vector<bool> bound(n, false);
  for (size_t i = 0; i < args.positional.size() && i < n; ++i) {
    call_scope.Set(def.params[i], args.positional[i]);
    bound[i] = true;
  }
  Dict extra_kwargs;
  std::optional<Value> caller;
  for (const auto& [name, value] : args.keywords) {
    bool matched = false;
    for (size_t i = 0; i < n; ++i) {
      if (def.params[i] != name) continue;
      if (bound[i]) {
        return fail(
            MakeError(ErrorType::kTypeError,
                      Cat("macro '", macro.name(),
                          "' got multiple values for argument '", name, "'")));
      }
      call_scope.Set(def.params[i], value);
      bound[i] = true;
      matched = true;
      break;
    }
    if (matched) continue;
    if (name == "caller" && def.uses_caller) {
      caller = value;
    } else {
      extra_kwargs.Set(name, value);
    }
  }
  if (args.positional.size() > n && !def.uses_varargs) {
    return fail(MakeError(ErrorType::kTypeError,
                          Cat("macro '", macro.name(), "' takes not more than ",
                              n, " argument(s)")));
  }
  if (!extra_kwargs.empty() && !def.uses_kwargs) {
    const std::string first = extra_kwargs.entries()[0].first.str();
    if (first == "caller") {
      return fail(
          MakeError(ErrorType::kTypeError,
                    Cat("macro '", macro.name(),
                        "' was invoked with two values for the special "
                        "caller argument. This is most likely a bug.")));
    }
    return fail(MakeError(ErrorType::kTypeError,
                          Cat("macro '", macro.name(),
                              "' takes no keyword argument '", first, "'")));
  }
  const size_t first_default = n - def.defaults.size();
  for (size_t i = 0; i < n; ++i) {
    if (bound[i]) continue;
    if (i >= first_default) {
      absl::StatusOr<Value> d = Eval(*def.defaults[i - first_default]);
      if (!d.ok()) return fail(d.status());
      call_scope.Set(def.params[i], *std::move(d));
    } else {
      call_scope.Set(def.params[i],
                     Value::Undefined(Cat("parameter '", def.params[i],
                                          "' was not provided")));
    }
  }
  if (def.uses_varargs) {
    std::vector<Value> rest;
    for (size_t i = n; i < args.positional.size(); ++i)
      rest.push_back(args.positional[i]);
    call_scope.Set("varargs", Value::Tuple(std::move(rest)));
  }
  if (def.uses_kwargs)
    call_scope.Set("kwargs", Value::FromDict(std::move(extra_kwargs)));
  if (def.uses_caller) {
    call_scope.Set("caller",
                   caller ? *caller : Value::Undefined("No caller defined"));
  }
  std::string out;
  std::string* saved_out = out_;
  out_ = &out;
  const Flow saved_flow = flow_;
  flow_ = Flow::kNormal;
  absl::Status status = ExecBody(def.body);
  flow_ = saved_flow;
  out_ = saved_out;
  scope_ = saved_scope;
  if (!status.ok()) return status;
  return Value::String(std::move(out));
}

absl::StatusOr<Value> Interpreter::CallLoop(const LoopObject& loop,
                                            const CallArgs& args) {
  if (!loop.stmt()->recursive) {
    return MakeError(ErrorType::kTypeError,
                     "Tried to call non recursive loop.  Maybe you forgot the "
                     "'recursive' modifier.");
  }
  if (args.positional.size() != 1 || !args.keywords.empty()) {
    return MakeError(ErrorType::kTypeError,
                     "loop() takes exactly one argument");
  }
  Scope* parent = loop.scope() != nullptr ? loop.scope() : &root_;
  std::string out;
  std::string* saved_out = out_;
  Scope* saved_scope = scope_;
  out_ = &out;
  scope_ = parent;
  const Flow saved_flow = flow_;
  flow_ = Flow::kNormal;
  absl::Status status =
      ExecFor(*loop.stmt(), args.positional[0], loop.depth() + 1);
  flow_ = saved_flow;
  scope_ = saved_scope;
  out_ = saved_out;
  if (!status.ok()) return status;
  return Value::String(std::move(out));
}

}  // namespace edgellm::chat::jinja
