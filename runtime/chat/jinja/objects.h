// The interpreter's own objects: namespace(), macros, bound methods and
// functions, loop state, generators (|map, |select, ...), cycler, joiner.
// Each mirrors the Python object Jinja2 uses, down to its type name in
// error messages.
#ifndef EDGELLM_RUNTIME_CHAT_JINJA_OBJECTS_H_
#define EDGELLM_RUNTIME_CHAT_JINJA_OBJECTS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/chat/jinja/ast.h"
#include "runtime/chat/jinja/builtins.h"
#include "runtime/chat/jinja/value.h"

namespace edgellm::chat::jinja {

struct Scope;

class JinjaObject : public Object,
                    public std::enable_shared_from_this<JinjaObject> {
 public:
  // Python attribute lookup; nullopt = no such attribute.
  virtual std::optional<Value> GetAttr(std::string_view name) const {
    return std::nullopt;
  }
  virtual absl::StatusOr<Value> Call(Interpreter& in,
                                     const CallArgs& args) const;
  // The items iteration yields (a generator yields them once); nullopt = not
  // iterable.
  virtual std::optional<std::vector<Value>> Iterate() const {
    return std::nullopt;
  }
  // len(); nullopt = no len().
  virtual std::optional<size_t> Length() const { return std::nullopt; }
  // Drops the values a mutable object holds (the end of a render breaks
  // reference cycles such as {% set ns.me = ns %} this way).
  virtual void ReleaseReferences() const {}
  // obj[key]; nullopt = no such item.
  virtual std::optional<Value> GetItem(const Value& key) const {
    return std::nullopt;
  }

 protected:
  // This object as a value (objects are always made with make_shared).
  Value Self() const { return Value::FromObject(shared_from_this()); }
};

// The JinjaObject inside a value, or nullptr.
const JinjaObject* AsJinjaObject(const Value& v);

class Namespace final : public JinjaObject {
 public:
  std::string_view TypeName() const override { return "Namespace"; }
  std::string QualifiedTypeName() const override {
    return "jinja2.utils.Namespace";
  }
  std::string Repr() const override;
  std::optional<Value> GetAttr(std::string_view name) const override;
  // {% set ns.attr = value %}: the one mutation the sandbox allows.
  void Set(std::string_view name, Value value) const {
    attrs_.Set(name, std::move(value));
  }
  void ReleaseReferences() const override { attrs_ = Dict(); }

 private:
  mutable Dict attrs_;
};

// A pointer to a scope that turns null when the scope ends, so a macro that
// outlives the scope it was defined in cannot reach freed memory.
using ScopeToken = std::shared_ptr<Scope*>;

class Macro final : public JinjaObject {
 public:
  Macro(const Stmt* def, std::string name, ScopeToken closure)
      : def_(def), name_(std::move(name)), closure_(std::move(closure)) {}
  std::string_view TypeName() const override { return "Macro"; }
  std::string QualifiedTypeName() const override {
    return "jinja2.runtime.Macro";
  }
  std::string Repr() const override { return "<Macro '" + name_ + "'>"; }
  bool IsCallable() const override { return true; }
  std::optional<Value> GetAttr(std::string_view name) const override;
  absl::StatusOr<Value> Call(Interpreter& in,
                             const CallArgs& args) const override;

  const Stmt& def() const { return *def_; }
  const std::string& name() const { return name_; }
  Scope* closure() const { return closure_ ? *closure_ : nullptr; }

 private:
  const Stmt* def_;
  std::string name_;
  ScopeToken closure_;
};

class BoundMethod final : public JinjaObject {
 public:
  BoundMethod(Value self, MethodFn fn, std::string_view name)
      : self_(std::move(self)), fn_(fn), name_(name) {}
  std::string_view TypeName() const override {
    return "builtin_function_or_method";
  }
  std::string Repr() const override;
  bool IsCallable() const override { return true; }
  absl::StatusOr<Value> Call(Interpreter& in,
                             const CallArgs& args) const override {
    return fn_(in, self_, args);
  }

 private:
  Value self_;
  MethodFn fn_;
  std::string_view name_;
};

class Function final : public JinjaObject {
 public:
  Function(FunctionFn fn, std::string_view name) : fn_(fn), name_(name) {}
  std::string_view TypeName() const override { return "function"; }
  std::string Repr() const override {
    return "<function " + std::string(name_) + ">";
  }
  bool IsCallable() const override { return true; }
  absl::StatusOr<Value> Call(Interpreter& in,
                             const CallArgs& args) const override {
    return fn_(in, args);
  }

 private:
  FunctionFn fn_;
  std::string_view name_;
};

// A one-shot iterator (generator, list_reverseiterator) or a re-iterable
// view (dict_items, dict_keys, dict_values).
class Iterator final : public JinjaObject {
 public:
  Iterator(std::vector<Value> items, std::string type_name, bool reusable)
      : items_(std::move(items)),
        type_name_(std::move(type_name)),
        reusable_(reusable) {}
  // A generator whose first step fails (Jinja2's filters are generators:
  // `none|unique` fails only when something iterates it).
  Iterator(absl::Status error, std::string type_name)
      : type_name_(std::move(type_name)),
        reusable_(false),
        error_(std::move(error)) {}
  const absl::Status& error() const { return error_; }
  bool IsTruthy() const override { return !reusable_ || !items_.empty(); }
  std::string_view TypeName() const override { return type_name_; }
  std::string Repr() const override;
  std::optional<std::vector<Value>> Iterate() const override;
  std::optional<size_t> Length() const override;
  // The next item of a one-shot iterator (|first), or nullopt at the end.
  std::optional<Value> Next() const;

 private:
  mutable std::vector<Value> items_;
  mutable size_t pos_ = 0;
  std::string type_name_;
  bool reusable_;
  absl::Status error_;
};

Value MakeGenerator(std::vector<Value> items);
// The items of a filter that Jinja2 writes as a generator, or a generator
// that fails when iterated if computing them failed.
Value MakeGenerator(absl::StatusOr<std::vector<Value>> items);

// range(start, stop, step).
class Range final : public JinjaObject {
 public:
  Range(int64_t start, int64_t stop, int64_t step, int64_t length)
      : start_(start), stop_(stop), step_(step), length_(length) {}
  std::string_view TypeName() const override { return "range"; }
  std::string Repr() const override;
  bool IsTruthy() const override { return length_ > 0; }
  std::optional<Value> GetAttr(std::string_view name) const override;
  std::optional<std::vector<Value>> Iterate() const override;
  std::optional<size_t> Length() const override { return length_; }
  std::optional<Value> GetItem(const Value& key) const override;

 private:
  int64_t start_, stop_, step_, length_;
};

// The `loop` variable of a for loop.
class LoopObject final : public JinjaObject {
 public:
  LoopObject(std::shared_ptr<const std::vector<Value>> items, int depth,
             const Stmt* stmt, ScopeToken scope)
      : items_(std::move(items)),
        depth_(depth),
        stmt_(stmt),
        scope_(std::move(scope)) {}
  std::string_view TypeName() const override { return "LoopContext"; }
  std::string QualifiedTypeName() const override {
    return "jinja2.runtime.LoopContext";
  }
  std::string Repr() const override;
  bool IsCallable() const override { return true; }
  std::optional<Value> GetAttr(std::string_view name) const override;
  // loop(items) of a recursive loop.
  absl::StatusOr<Value> Call(Interpreter& in,
                             const CallArgs& args) const override;

  void set_index0(size_t i) const { index0_ = i; }
  size_t index0() const { return index0_; }
  size_t length() const { return items_->size(); }
  int depth() const { return depth_; }
  const Stmt* stmt() const { return stmt_; }
  Scope* scope() const { return scope_ ? *scope_ : nullptr; }
  // loop.changed(value) state.
  mutable std::optional<Value> last_changed;
  void ReleaseReferences() const override { last_changed.reset(); }

 private:
  std::shared_ptr<const std::vector<Value>> items_;
  int depth_;
  const Stmt* stmt_;
  ScopeToken scope_;
  mutable size_t index0_ = 0;
};

class Cycler final : public JinjaObject {
 public:
  explicit Cycler(std::vector<Value> items) : items_(std::move(items)) {}
  std::string_view TypeName() const override { return "Cycler"; }
  std::string QualifiedTypeName() const override {
    return "jinja2.utils.Cycler";
  }
  std::string Repr() const override { return "<jinja2.utils.Cycler object>"; }
  std::optional<Value> GetAttr(std::string_view name) const override;
  Value Advance() const;
  void Reset() const { pos_ = 0; }

 private:
  std::vector<Value> items_;
  mutable size_t pos_ = 0;
};

class Joiner final : public JinjaObject {
 public:
  explicit Joiner(std::string sep) : sep_(std::move(sep)) {}
  std::string_view TypeName() const override { return "Joiner"; }
  std::string QualifiedTypeName() const override {
    return "jinja2.utils.Joiner";
  }
  std::string Repr() const override { return "<jinja2.utils.Joiner object>"; }
  bool IsCallable() const override { return true; }
  absl::StatusOr<Value> Call(Interpreter& in,
                             const CallArgs& args) const override;

 private:
  std::string sep_;
  mutable bool used_ = false;
};

}  // namespace edgellm::chat::jinja

#endif  // EDGELLM_RUNTIME_CHAT_JINJA_OBJECTS_H_
