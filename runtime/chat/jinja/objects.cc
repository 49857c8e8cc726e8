#include "runtime/chat/jinja/objects.h"

#include <algorithm>

#include "runtime/chat/jinja/error.h"
#include "runtime/chat/jinja/interpreter.h"
#include "runtime/chat/jinja/str_cat.h"

namespace edgellm::chat::jinja {

absl::StatusOr<Value> JinjaObject::Call(Interpreter&, const CallArgs&) const {
  return MakeError(ErrorType::kTypeError,
                   Cat("'", TypeName(), "' object is not callable"));
}

const JinjaObject* AsJinjaObject(const Value& v) {
  if (!v.is_object()) return nullptr;
  return dynamic_cast<const JinjaObject*>(&v.object());
}

std::string Namespace::Repr() const {
  // Python prints a namespace inside itself as {...}; deep chains of
  // namespaces stop at a bounded depth instead of exhausting the stack.
  thread_local std::vector<const Namespace*> open;
  if (std::find(open.begin(), open.end(), this) != open.end() ||
      open.size() > 50) {
    return "<Namespace {...}>";
  }
  open.push_back(this);
  std::string out =
      Cat("<Namespace ", jinja::Repr(Value::FromDict(attrs_)), ">");
  open.pop_back();
  return out;
}

std::optional<Value> Namespace::GetAttr(std::string_view name) const {
  if (const Value* v = attrs_.Find(name)) return *v;
  return std::nullopt;
}

std::optional<Value> Macro::GetAttr(std::string_view name) const {
  if (name == "name") return Value::String(name_);
  if (name == "arguments") {
    std::vector<Value> params;
    for (const auto& p : def_->params) params.push_back(Value::String(p));
    return Value::Tuple(std::move(params));
  }
  if (name == "catch_kwargs") return Value::Bool(def_->uses_kwargs);
  if (name == "catch_varargs") return Value::Bool(def_->uses_varargs);
  if (name == "caller") return Value::Bool(def_->uses_caller);
  return std::nullopt;
}

absl::StatusOr<Value> Macro::Call(Interpreter& in, const CallArgs& args) const {
  return in.CallMacro(*this, args);
}

std::string BoundMethod::Repr() const {
  return Cat("<built-in method ", name_, " of ", self_.TypeName(), " object>");
}

std::string Iterator::Repr() const {
  if (!reusable_) return Cat("<", type_name_, " object>");
  return Cat(type_name_, "(", jinja::Repr(Value::List(items_)), ")");
}

std::optional<std::vector<Value>> Iterator::Iterate() const {
  if (reusable_) return items_;
  std::vector<Value> rest(items_.begin() + pos_, items_.end());
  pos_ = items_.size();
  return rest;
}

std::optional<size_t> Iterator::Length() const {
  if (reusable_) return items_.size();
  return std::nullopt;
}

std::optional<Value> Iterator::Next() const {
  if (reusable_)
    return items_.empty() ? std::nullopt : std::optional<Value>(items_[0]);
  if (pos_ >= items_.size()) return std::nullopt;
  return items_[pos_++];
}

Value MakeGenerator(absl::StatusOr<std::vector<Value>> items) {
  if (!items.ok()) {
    return Value::FromObject(
        std::make_shared<Iterator>(items.status(), "generator"));
  }
  return MakeGenerator(*std::move(items));
}

std::string Range::Repr() const {
  if (step_ == 1) return Cat("range(", start_, ", ", stop_, ")");
  return Cat("range(", start_, ", ", stop_, ", ", step_, ")");
}

std::optional<Value> Range::GetAttr(std::string_view name) const {
  if (name == "start") return Value::Int(start_);
  if (name == "stop") return Value::Int(stop_);
  if (name == "step") return Value::Int(step_);
  if (name == "count" || name == "index") {
    // The list methods over the range's items.
    return BuiltinAttribute(Value::List(*Iterate()), name);
  }
  return std::nullopt;
}

std::optional<std::vector<Value>> Range::Iterate() const {
  std::vector<Value> items;
  items.reserve(length_);
  for (int64_t k = 0; k < length_; ++k)
    items.push_back(Value::Int(start_ + k * step_));
  return items;
}

std::optional<Value> Range::GetItem(const Value& key) const {
  if (!key.is_integral()) return std::nullopt;
  int64_t i = key.int_value();
  if (i < 0) i += length_;
  if (i < 0 || i >= length_) return std::nullopt;
  return Value::Int(start_ + i * step_);
}

Value MakeGenerator(std::vector<Value> items) {
  return Value::FromObject(std::make_shared<Iterator>(
      std::move(items), "generator", /*reusable=*/false));
}

std::string LoopObject::Repr() const {
  return Cat("<LoopContext ", index0_ + 1, "/", items_->size(), ">");
}

namespace {

absl::StatusOr<Value> LoopCycle(Interpreter&, const Value& self,
                                const CallArgs& args) {
  if (args.positional.empty()) {
    return MakeError(ErrorType::kTypeError, "no items for cycling given");
  }
  const auto& loop = static_cast<const LoopObject&>(self.object());
  return args.positional[loop.index0() % args.positional.size()];
}

absl::StatusOr<Value> LoopChanged(Interpreter& in, const Value& self,
                                  const CallArgs& args) {
  const auto& loop = static_cast<const LoopObject&>(self.object());
  if (!loop.last_changed) {
    in.TrackMutable(
        std::static_pointer_cast<const JinjaObject>(self.object_ptr()));
  }
  const Value current = Value::Tuple(args.positional);
  if (loop.last_changed && Equals(*loop.last_changed, current))
    return Value::Bool(false);
  loop.last_changed = current;
  return Value::Bool(true);
}

absl::StatusOr<Value> CyclerNext(Interpreter&, const Value& self,
                                 const CallArgs&) {
  return static_cast<const Cycler&>(self.object()).Advance();
}

absl::StatusOr<Value> CyclerReset(Interpreter&, const Value& self,
                                  const CallArgs&) {
  static_cast<const Cycler&>(self.object()).Reset();
  return Value::None();
}

}  // namespace

std::optional<Value> LoopObject::GetAttr(std::string_view name) const {
  const int64_t n = static_cast<int64_t>(items_->size());
  const int64_t i = static_cast<int64_t>(index0_);
  if (name == "index") return Value::Int(i + 1);
  if (name == "index0") return Value::Int(i);
  if (name == "revindex") return Value::Int(n - i);
  if (name == "revindex0") return Value::Int(n - i - 1);
  if (name == "first") return Value::Bool(i == 0);
  if (name == "last") return Value::Bool(i == n - 1);
  if (name == "length") return Value::Int(n);
  if (name == "depth") return Value::Int(depth_);
  if (name == "depth0") return Value::Int(depth_ - 1);
  if (name == "previtem") {
    if (i == 0) return Value::Undefined("there is no previous item");
    return (*items_)[i - 1];
  }
  if (name == "nextitem") {
    if (i + 1 >= n) return Value::Undefined("there is no next item");
    return (*items_)[i + 1];
  }
  // The loop object is shared by the whole loop, so a bound method sees
  // the current index when called.
  if (name == "cycle") {
    return Value::FromObject(
        std::make_shared<BoundMethod>(Self(), LoopCycle, "cycle"));
  }
  if (name == "changed") {
    return Value::FromObject(
        std::make_shared<BoundMethod>(Self(), LoopChanged, "changed"));
  }
  return std::nullopt;
}

absl::StatusOr<Value> LoopObject::Call(Interpreter& in,
                                       const CallArgs& args) const {
  return in.CallLoop(*this, args);
}

Value Cycler::Advance() const {
  if (items_.empty()) return Value::None();
  Value v = items_[pos_];
  pos_ = (pos_ + 1) % items_.size();
  return v;
}

std::optional<Value> Cycler::GetAttr(std::string_view name) const {
  if (name == "current") return items_.empty() ? Value::None() : items_[pos_];
  if (name == "next") {
    return Value::FromObject(
        std::make_shared<BoundMethod>(Self(), CyclerNext, "next"));
  }
  if (name == "reset") {
    return Value::FromObject(
        std::make_shared<BoundMethod>(Self(), CyclerReset, "reset"));
  }
  return std::nullopt;
}

absl::StatusOr<Value> Joiner::Call(Interpreter&, const CallArgs&) const {
  if (!used_) {
    used_ = true;
    return Value::String("");
  }
  return Value::String(sep_);
}

}  // namespace edgellm::chat::jinja
