// The syntax tree of a parsed template: expressions and statements as
// Jinja2's parser builds them (jinja2.nodes), reduced to what the
// interpreter needs. Immutable after parsing, so one tree serves renders on
// many threads.
#ifndef EDGELLM_RUNTIME_CHAT_JINJA_AST_H_
#define EDGELLM_RUNTIME_CHAT_JINJA_AST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/chat/jinja/builtins.h"
#include "runtime/chat/jinja/value.h"

namespace edgellm::chat::jinja {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class ExprKind : uint8_t {
  kConst,    // constant
  kName,     // name
  kNsRef,    // name.attr as an assignment target (namespace attribute)
  kGetattr,  // args[0].name
  kGetitem,  // args[0][args[1]]
  kSlice,    // start:stop:step; null args are omitted bounds
  kCall,     // args[0](args[1..], kwargs, *dyn_args, **dyn_kwargs)
  kFilter,   // args[0]|name(args[1..]); args[0] null inside filter blocks
  kTest,     // args[0] is name(args[1..])
  kNeg,
  kPos,
  kNot,
  kBinary,  // args[0] op args[1]
  kAnd,
  kOr,
  kConcat,    // args joined with ~
  kCompare,   // args[0] ops[0] args[1] ops[1] args[2] ...
  kCondExpr,  // args[0] if args[1] else args[2] (args[2] may be null)
  kList,
  kTuple,
  kDict,  // keys and values interleaved
};

enum class BinaryOp : uint8_t { kAdd, kSub, kMul, kDiv, kFloorDiv, kMod, kPow };
enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

struct Keyword {
  std::string name;
  ExprPtr value;
};

struct Expr {
  ExprKind kind;
  uint32_t offset = 0;  // in the normalized source
  Value constant;
  std::string name;  // kName, kNsRef (namespace), kGetattr, kFilter, kTest
  std::string attr;  // kNsRef attribute
  BinaryOp op = BinaryOp::kAdd;
  // kFilter / kTest: the filter or test is inside an if or conditional
  // expression, so an unknown name fails only when it runs (as in Jinja2).
  bool soft = false;
  // The filter or test, resolved when parsing (nullptr if unknown).
  FilterFn filter = nullptr;
  TestFn test = nullptr;
  std::vector<CompareOp> compare_ops;
  std::vector<ExprPtr> args;
  std::vector<Keyword> kwargs;
  ExprPtr dyn_args;
  ExprPtr dyn_kwargs;
};

enum class StmtKind : uint8_t {
  kData,      // text
  kPrint,     // {{ expr }}
  kIf,        // tests[i] -> bodies[i], else_body
  kFor,       // for target in expr [if cond] ... else ... endfor
  kSet,       // set target = expr
  kSetBlock,  // set target [| filter] ... endset
  kMacro,
  kCallBlock,  // call(params) expr ... endcall
  kFilterBlock,
  kWith,
  kScope,  // generation / block: the body in its own scope
  kBreak,
  kContinue,
  kUnsupported,  // include / import / extends: fail when run, as without a
                 // loader
};

struct Stmt {
  StmtKind kind;
  uint32_t offset = 0;
  std::string text;   // kData; macro name
  ExprPtr expr;       // print / for iterable / set value / call / filter
  ExprPtr target;     // for / set targets (kName, kTuple of names, kNsRef)
  ExprPtr condition;  // for ... if condition
  bool recursive = false;
  std::vector<ExprPtr> tests;  // if / elif conditions
  std::vector<Body> bodies;    // their bodies
  Body body;
  Body else_body;
  // Macros and call blocks: parameter names and the defaults of the last
  // defaults.size() parameters.
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;
  bool uses_varargs = false;
  bool uses_kwargs = false;
  bool uses_caller = false;
  // kWith: targets and values.
  std::vector<ExprPtr> with_targets;
  std::vector<ExprPtr> with_values;
};

}  // namespace edgellm::chat::jinja

#endif  // EDGELLM_RUNTIME_CHAT_JINJA_AST_H_
