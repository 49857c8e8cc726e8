// Walks the syntax tree of one template for one render: scopes, statements,
// expressions, Jinja2's sandboxed attribute and item lookup, calls, and the
// render's limits. One Interpreter per render (not thread-safe).
#ifndef EDGELLM_RUNTIME_CHAT_JINJA_INTERPRETER_H_
#define EDGELLM_RUNTIME_CHAT_JINJA_INTERPRETER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/chat/jinja/ast.h"
#include "runtime/chat/jinja/builtins.h"
#include "runtime/chat/jinja/objects.h"
#include "runtime/chat/jinja/template.h"
#include "runtime/chat/jinja/value.h"

namespace edgellm::chat::jinja {

// Variables of one block level (template, loop iteration, macro call, ...).
// Names point into the syntax tree or at string literals.
struct Scope {
  explicit Scope(Scope* p) : parent(p) {}
  ~Scope() {
    if (token) *token = nullptr;
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  const Value* Find(std::string_view name) const {
    for (const auto& [n, v] : vars) {
      if (n == name) return &v;
    }
    return nullptr;
  }
  void Set(std::string_view name, Value value) {
    for (auto& [n, v] : vars) {
      if (n == name) {
        v = std::move(value);
        return;
      }
    }
    vars.emplace_back(name, std::move(value));
  }
  ScopeToken Token() {
    if (!token) token = std::make_shared<Scope*>(this);
    return token;
  }

  Scope* parent;
  std::vector<std::pair<std::string_view, Value>> vars;
  ScopeToken token;
};

class Interpreter {
 public:
  Interpreter(std::string_view source, const Body& body, const Dict& context,
              const RenderOptions& options);
  ~Interpreter();

  absl::StatusOr<std::string> Render();

  // Services for filters, tests, methods and objects.
  absl::StatusOr<std::vector<Value>> Iterate(const Value& v);
  absl::StatusOr<size_t> Length(const Value& v);
  // `item in object` for the interpreter's objects (iterators, range).
  absl::StatusOr<bool> ContainsInObject(const Value& object, const Value& item);
  // Sandboxed x.name (attribute first, then item).
  absl::StatusOr<Value> GetAttr(const Value& obj, std::string_view name);
  // Sandboxed x[key] (item first, then attribute).
  absl::StatusOr<Value> GetItem(const Value& obj, const Value& key);
  absl::StatusOr<Value> Call(const Value& callee, const CallArgs& args);
  absl::StatusOr<Value> CallFilter(std::string_view name, const Value& value,
                                   const CallArgs& args);
  absl::StatusOr<bool> CallTest(std::string_view name, const Value& value,
                                const CallArgs& args);
  absl::StatusOr<Value> CallMacro(const Macro& macro, const CallArgs& args);
  absl::StatusOr<Value> CallLoop(const LoopObject& loop, const CallArgs& args);
  // Objects whose state can change after they are made (namespaces, loops
  // that remember loop.changed) are the only way to build a reference
  // cycle; the interpreter releases their references when the render ends.
  void TrackMutable(std::shared_ptr<const JinjaObject> object) {
    mutable_objects_.push_back(std::move(object));
  }
  // Counts `units` of work against max_steps.
  absl::Status Charge(int64_t units);
  size_t max_bytes() const { return options_.max_output_bytes; }
  size_t max_items() const { return options_.max_output_bytes / 8; }
  const RenderOptions& options() const { return options_; }

 private:
  enum class Flow { kNormal, kBreak, kContinue };
  class DepthGuard;

  absl::Status ExecBody(const Body& body);
  absl::Status Exec(const Stmt& s);
  absl::Status ExecFor(const Stmt& s, const Value& iterable, int depth);
  absl::Status ExecSet(const Stmt& s);
  absl::Status ExecCallBlock(const Stmt& s);
  absl::Status Capture(const Body& body, std::string& out);
  absl::Status Assign(const Expr& target, const Value& value);
  absl::Status Emit(std::string_view text);

  absl::StatusOr<Value> Eval(const Expr& e);
  absl::StatusOr<Value> EvalInner(const Expr& e);
  absl::StatusOr<Value> EvalGetitem(const Expr& e);
  absl::StatusOr<Value> EvalCall(const Expr& e, const Value* caller);
  absl::StatusOr<Value> EvalFilter(const Expr& e);
  absl::StatusOr<Value> EvalTest(const Expr& e);
  absl::StatusOr<Value> EvalCompare(const Expr& e);
  absl::StatusOr<Value> EvalCondExpr(const Expr& e);
  absl::StatusOr<Value> EvalDict(const Expr& e);
  absl::Status EvalArgs(const Expr& e, size_t first, CallArgs& args);
  Value Lookup(std::string_view name) const;
  absl::Status Positioned(const absl::Status& status, uint32_t offset) const;

  std::string_view source_;
  const Body& body_;
  const Dict& context_;
  const RenderOptions& options_;
  Scope root_{nullptr};
  Scope* scope_ = &root_;
  std::string* out_ = nullptr;
  const Value* block_input_ = nullptr;  // input of a filter block's filters
  Flow flow_ = Flow::kNormal;
  int64_t steps_ = 0;
  int depth_ = 0;
  std::vector<std::shared_ptr<const JinjaObject>> mutable_objects_;
};

}  // namespace edgellm::chat::jinja

#endif  // EDGELLM_RUNTIME_CHAT_JINJA_INTERPRETER_H_
