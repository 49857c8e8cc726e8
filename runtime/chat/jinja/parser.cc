#include "runtime/chat/jinja/parser.h"

#include <initializer_list>
#include <utility>

#include "absl/strings/str_join.h"
#include "runtime/chat/jinja/builtins.h"
#include "runtime/chat/jinja/error.h"
#include "runtime/chat/jinja/str_cat.h"
#include "util/status_macros.h"

namespace edgellm::chat::jinja {
namespace {

ExprPtr NewExpr(ExprKind kind, uint32_t offset) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->offset = offset;
  return e;
}

StmtPtr NewStmt(StmtKind kind, uint32_t offset) {
  auto s = std::make_unique<Stmt>();
  s->kind = kind;
  s->offset = offset;
  return s;
}

// How Jinja2 names a token in messages (describe_token).
std::string Describe(const Token& t) {
  switch (t.type) {
    case TokenType::kName:
    case TokenType::kOperator:
      return t.value;
    case TokenType::kString:
      return "string";
    case TokenType::kInteger:
      return "integer";
    case TokenType::kFloat:
      return "float";
    case TokenType::kData:
      return "template data";
    case TokenType::kVariableBegin:
      return "begin of print statement";
    case TokenType::kVariableEnd:
      return "end of print statement";
    case TokenType::kBlockBegin:
      return "begin of statement block";
    case TokenType::kBlockEnd:
      return "end of statement block";
    case TokenType::kEof:
      return "end of template";
  }
  return "token";
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string_view source)
      : toks_(std::move(tokens)), src_(source) {}

  absl::StatusOr<Body> ParseTemplate() {
    Body body;
    EDGELLM_RETURN_IF_ERROR(Subparse({}, body));
    if (cur().type != TokenType::kEof)
      return Fail("unexpected " + Describe(cur()));
    return body;
  }

 private:
  // Raises the nesting depth for as long as it lives; Step() adds one more
  // level (for each link of an operator chain).
  class Depth {
   public:
    explicit Depth(Parser* p) : p_(p), saved_(p->depth_) {}
    ~Depth() { p_->depth_ = saved_; }
    absl::Status Step() {
      if (++p_->depth_ > kMaxParseDepth) {
        return p_->Fail("template nesting too deep");
      }
      return absl::OkStatus();
    }

   private:
    Parser* p_;
    int saved_;
  };

  const Token& cur() const { return toks_[i_]; }
  const Token& look() const {
    return toks_[i_ + 1 < toks_.size() ? i_ + 1 : i_];
  }
  void Next() {
    if (i_ + 1 < toks_.size()) ++i_;
  }
  bool IsOp(std::string_view op) const {
    return cur().type == TokenType::kOperator && cur().value == op;
  }
  bool IsName(std::string_view name) const {
    return cur().type == TokenType::kName && cur().value == name;
  }
  bool SkipOp(std::string_view op) {
    if (!IsOp(op)) return false;
    Next();
    return true;
  }
  bool SkipName(std::string_view name) {
    if (!IsName(name)) return false;
    Next();
    return true;
  }

  absl::Status FailAt(uint32_t offset, std::string_view message) const {
    int line, column;
    LineColumn(src_, offset, line, column);
    return WithPosition(MakeError(ErrorType::kTemplateSyntaxError, message),
                        line, column);
  }
  absl::Status Fail(std::string_view message) const {
    return FailAt(cur().offset, message);
  }
  absl::Status ExpectOp(std::string_view op) {
    if (SkipOp(op)) return absl::OkStatus();
    return UnexpectedToken(std::string(op));
  }
  absl::Status Expect(TokenType type, std::string_view what) {
    if (cur().type == type) {
      Next();
      return absl::OkStatus();
    }
    return UnexpectedToken(std::string(what));
  }
  absl::Status UnexpectedToken(const std::string& expected) const {
    if (cur().type == TokenType::kEof) {
      return Fail(
          Cat("unexpected end of template, expected '", expected, "'."));
    }
    return Fail(
        Cat("expected token '", expected, "', got '", Describe(cur()), "'"));
  }
  absl::StatusOr<std::string> ExpectName() {
    if (cur().type != TokenType::kName) return UnexpectedToken("name");
    std::string name = cur().value;
    Next();
    return name;
  }

  bool AtBlockEnd() const { return cur().type == TokenType::kBlockEnd; }
  bool AtEndToken(const std::vector<std::string_view>& ends) const {
    if (cur().type != TokenType::kName) return false;
    for (std::string_view e : ends) {
      if (cur().value == e) return true;
    }
    return false;
  }

  absl::Status Subparse(const std::vector<std::string_view>& ends, Body& body);
  // Parses statements up to one of `ends` (consumed block_end first); the
  // end tag's name is left current.
  absl::Status ParseStatements(const std::vector<std::string_view>& ends,
                               Body& body, bool drop_needle);
  absl::StatusOr<StmtPtr> ParseStatement();
  absl::StatusOr<StmtPtr> ParseFor();
  absl::StatusOr<StmtPtr> ParseIf();
  absl::StatusOr<StmtPtr> ParseSet();
  absl::StatusOr<StmtPtr> ParseMacro();
  absl::StatusOr<StmtPtr> ParseCallBlock();
  absl::StatusOr<StmtPtr> ParseFilterBlock();
  absl::StatusOr<StmtPtr> ParseWith();
  absl::StatusOr<StmtPtr> ParseScoped(StmtKind kind, std::string_view end);
  absl::StatusOr<StmtPtr> ParseUnsupported(const std::string& tag);
  absl::Status ParseSignature(Stmt& s);

  absl::StatusOr<ExprPtr> ParseAssignTarget(
      bool with_namespace, const std::vector<std::string_view>& extra_end);
  absl::StatusOr<ExprPtr> ParseTuple(
      bool simplified, bool with_condexpr,
      const std::vector<std::string_view>& extra_end, bool explicit_parens);
  bool IsTupleEnd(const std::vector<std::string_view>& extra_end) const {
    if (cur().type == TokenType::kVariableEnd || AtBlockEnd() || IsOp(")")) {
      return true;
    }
    return AtEndToken(extra_end);
  }
  absl::StatusOr<ExprPtr> ParseExpression(bool with_condexpr = true);
  absl::StatusOr<ExprPtr> ParseCondExpr();
  absl::StatusOr<ExprPtr> ParseOr();
  absl::StatusOr<ExprPtr> ParseAnd();
  absl::StatusOr<ExprPtr> ParseNot();
  absl::StatusOr<ExprPtr> ParseCompare();
  absl::StatusOr<ExprPtr> ParseMath1();
  absl::StatusOr<ExprPtr> ParseConcat();
  absl::StatusOr<ExprPtr> ParseMath2();
  absl::StatusOr<ExprPtr> ParsePow();
  absl::StatusOr<ExprPtr> ParseUnary(bool with_filter);
  absl::StatusOr<ExprPtr> ParsePrimary();
  absl::StatusOr<ExprPtr> ParseList();
  absl::StatusOr<ExprPtr> ParseDict();
  absl::StatusOr<ExprPtr> ParsePostfix(ExprPtr node);
  absl::StatusOr<ExprPtr> ParseFilterExpr(ExprPtr node);
  absl::StatusOr<ExprPtr> ParseSubscript(ExprPtr node);
  absl::StatusOr<ExprPtr> ParseSubscribed();
  absl::Status ParseCallArgs(Expr& call);
  absl::StatusOr<ExprPtr> ParseFilter(ExprPtr node, bool start_inline);
  absl::StatusOr<ExprPtr> ParseTest(ExprPtr node);

  std::vector<Token> toks_;
  std::string_view src_;
  size_t i_ = 0;
  int depth_ = 0;
  std::vector<std::string> tag_stack_;
};

absl::Status Parser::Subparse(const std::vector<std::string_view>& ends,
                              Body& body) {
  Depth depth(this);
  EDGELLM_RETURN_IF_ERROR(depth.Step());
  while (cur().type != TokenType::kEof) {
    const Token& t = cur();
    if (t.type == TokenType::kData) {
      auto s = NewStmt(StmtKind::kData, t.offset);
      s->text = t.value;
      body.push_back(std::move(s));
      Next();
    } else if (t.type == TokenType::kVariableBegin) {
      Next();
      auto s = NewStmt(StmtKind::kPrint, cur().offset);
      EDGELLM_ASSIGN_OR_RETURN(s->expr, ParseTuple(false, true, {}, false));
      EDGELLM_RETURN_IF_ERROR(
          Expect(TokenType::kVariableEnd, "end of print statement"));
      body.push_back(std::move(s));
    } else if (t.type == TokenType::kBlockBegin) {
      Next();
      if (!ends.empty() && AtEndToken(ends)) return absl::OkStatus();
      EDGELLM_ASSIGN_OR_RETURN(StmtPtr s, ParseStatement());
      body.push_back(std::move(s));
      EDGELLM_RETURN_IF_ERROR(
          Expect(TokenType::kBlockEnd, "end of statement block"));
    } else {
      return Fail("unexpected " + Describe(t));
    }
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseStatements(const std::vector<std::string_view>& ends,
                                     Body& body, bool drop_needle) {
  SkipOp(":");
  EDGELLM_RETURN_IF_ERROR(
      Expect(TokenType::kBlockEnd, "end of statement block"));
  EDGELLM_RETURN_IF_ERROR(Subparse(ends, body));
  if (cur().type == TokenType::kEof) {
    std::vector<std::string> quoted;
    for (std::string_view e : ends) quoted.push_back(Cat("'", e, "'"));
    std::string message =
        Cat("Unexpected end of template. Jinja was looking for the following "
            "tags: ",
            absl::StrJoin(quoted, " or "), ".");
    if (!tag_stack_.empty()) {
      CatAppend(&message, " The innermost block that needs to be closed is '",
                tag_stack_.back(), "'.");
    }
    return Fail(message);
  }
  if (drop_needle) Next();
  return absl::OkStatus();
}

absl::StatusOr<StmtPtr> Parser::ParseStatement() {
  if (cur().type != TokenType::kName) return Fail("tag name expected");
  const std::string tag = cur().value;
  tag_stack_.push_back(tag);
  absl::StatusOr<StmtPtr> result;
  if (tag == "for") {
    result = ParseFor();
  } else if (tag == "if") {
    result = ParseIf();
  } else if (tag == "set") {
    result = ParseSet();
  } else if (tag == "macro") {
    result = ParseMacro();
  } else if (tag == "call") {
    result = ParseCallBlock();
  } else if (tag == "filter") {
    result = ParseFilterBlock();
  } else if (tag == "with") {
    result = ParseWith();
  } else if (tag == "generation") {
    result = ParseScoped(StmtKind::kScope, "endgeneration");
  } else if (tag == "autoescape") {
    Next();
    auto s = NewStmt(StmtKind::kScope, cur().offset);
    auto value = ParseExpression();
    if (!value.ok()) return value.status();
    EDGELLM_RETURN_IF_ERROR(ParseStatements({"endautoescape"}, s->body, true));
    result = std::move(s);
  } else if (tag == "block") {
    const uint32_t offset = cur().offset;
    Next();
    auto name = ExpectName();
    if (!name.ok()) return name.status();
    SkipName("scoped");
    SkipName("required");
    auto s = NewStmt(StmtKind::kScope, offset);
    EDGELLM_RETURN_IF_ERROR(ParseStatements({"endblock"}, s->body, true));
    if (cur().type == TokenType::kName && cur().value == *name) Next();
    result = std::move(s);
  } else if (tag == "print") {
    auto s = NewStmt(StmtKind::kPrint, cur().offset);
    Next();
    EDGELLM_ASSIGN_OR_RETURN(s->expr, ParseTuple(false, true, {}, false));
    result = std::move(s);
  } else if (tag == "break" || tag == "continue") {
    auto s = NewStmt(tag == "break" ? StmtKind::kBreak : StmtKind::kContinue,
                     cur().offset);
    Next();
    result = std::move(s);
  } else if (tag == "include" || tag == "import" || tag == "from" ||
             tag == "extends") {
    result = ParseUnsupported(tag);
  } else {
    tag_stack_.pop_back();
    std::string message = Cat("Encountered unknown tag '", tag, "'.");
    if (!tag_stack_.empty()) {
      CatAppend(&message, " The innermost block that needs to be closed is '",
                tag_stack_.back(), "'.");
    }
    return Fail(message);
  }
  tag_stack_.pop_back();
  return result;
}

absl::StatusOr<StmtPtr> Parser::ParseFor() {
  auto s = NewStmt(StmtKind::kFor, cur().offset);
  Next();
  EDGELLM_ASSIGN_OR_RETURN(s->target, ParseAssignTarget(false, {"in"}));
  if (!SkipName("in")) return UnexpectedToken("in");
  EDGELLM_ASSIGN_OR_RETURN(s->expr,
                           ParseTuple(false, false, {"recursive"}, false));
  if (SkipName("if")) {
    EDGELLM_ASSIGN_OR_RETURN(s->condition, ParseExpression());
  }
  s->recursive = SkipName("recursive");
  EDGELLM_RETURN_IF_ERROR(ParseStatements({"endfor", "else"}, s->body, false));
  const bool has_else = IsName("else");
  Next();
  if (has_else) {
    EDGELLM_RETURN_IF_ERROR(ParseStatements({"endfor"}, s->else_body, true));
  }
  return s;
}

absl::StatusOr<StmtPtr> Parser::ParseIf() {
  auto s = NewStmt(StmtKind::kIf, cur().offset);
  Next();
  while (true) {
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr test, ParseTuple(false, false, {}, false));
    s->tests.push_back(std::move(test));
    s->bodies.emplace_back();
    EDGELLM_RETURN_IF_ERROR(
        ParseStatements({"elif", "else", "endif"}, s->bodies.back(), false));
    const std::string which = cur().value;
    Next();
    if (which == "elif") continue;
    if (which == "else") {
      EDGELLM_RETURN_IF_ERROR(ParseStatements({"endif"}, s->else_body, true));
    }
    break;
  }
  return s;
}

absl::StatusOr<StmtPtr> Parser::ParseSet() {
  const uint32_t offset = cur().offset;
  Next();
  EDGELLM_ASSIGN_OR_RETURN(ExprPtr target, ParseAssignTarget(true, {}));
  if (SkipOp("=")) {
    auto s = NewStmt(StmtKind::kSet, offset);
    s->target = std::move(target);
    EDGELLM_ASSIGN_OR_RETURN(s->expr, ParseTuple(false, true, {}, false));
    return s;
  }
  auto s = NewStmt(StmtKind::kSetBlock, offset);
  s->target = std::move(target);
  if (IsOp("|")) {
    EDGELLM_ASSIGN_OR_RETURN(s->expr, ParseFilter(nullptr, false));
  }
  EDGELLM_RETURN_IF_ERROR(ParseStatements({"endset"}, s->body, true));
  return s;
}

absl::Status Parser::ParseSignature(Stmt& s) {
  EDGELLM_RETURN_IF_ERROR(ExpectOp("("));
  while (!IsOp(")")) {
    if (!s.params.empty()) EDGELLM_RETURN_IF_ERROR(ExpectOp(","));
    EDGELLM_ASSIGN_OR_RETURN(std::string name, ExpectName());
    if (SkipOp("=")) {
      EDGELLM_ASSIGN_OR_RETURN(ExprPtr d, ParseExpression());
      s.defaults.push_back(std::move(d));
    } else if (!s.defaults.empty()) {
      return Fail("non-default argument follows default argument");
    }
    s.params.push_back(std::move(name));
  }
  return ExpectOp(")");
}

absl::StatusOr<StmtPtr> Parser::ParseMacro() {
  auto s = NewStmt(StmtKind::kMacro, cur().offset);
  Next();
  EDGELLM_ASSIGN_OR_RETURN(s->text, ExpectName());
  EDGELLM_RETURN_IF_ERROR(ParseSignature(*s));
  EDGELLM_RETURN_IF_ERROR(ParseStatements({"endmacro"}, s->body, true));
  return s;
}

absl::StatusOr<StmtPtr> Parser::ParseCallBlock() {
  auto s = NewStmt(StmtKind::kCallBlock, cur().offset);
  Next();
  if (IsOp("(")) EDGELLM_RETURN_IF_ERROR(ParseSignature(*s));
  EDGELLM_ASSIGN_OR_RETURN(s->expr, ParseExpression());
  if (s->expr->kind != ExprKind::kCall)
    return FailAt(s->offset, "expected call");
  EDGELLM_RETURN_IF_ERROR(ParseStatements({"endcall"}, s->body, true));
  return s;
}

absl::StatusOr<StmtPtr> Parser::ParseFilterBlock() {
  auto s = NewStmt(StmtKind::kFilterBlock, cur().offset);
  Next();
  EDGELLM_ASSIGN_OR_RETURN(s->expr, ParseFilter(nullptr, true));
  EDGELLM_RETURN_IF_ERROR(ParseStatements({"endfilter"}, s->body, true));
  return s;
}

absl::StatusOr<StmtPtr> Parser::ParseWith() {
  auto s = NewStmt(StmtKind::kWith, cur().offset);
  Next();
  while (!AtBlockEnd()) {
    if (!s->with_targets.empty()) EDGELLM_RETURN_IF_ERROR(ExpectOp(","));
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr target, ParseAssignTarget(false, {}));
    s->with_targets.push_back(std::move(target));
    EDGELLM_RETURN_IF_ERROR(ExpectOp("="));
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression());
    s->with_values.push_back(std::move(value));
  }
  EDGELLM_RETURN_IF_ERROR(ParseStatements({"endwith"}, s->body, true));
  return s;
}

absl::StatusOr<StmtPtr> Parser::ParseScoped(StmtKind kind,
                                            std::string_view end) {
  auto s = NewStmt(kind, cur().offset);
  Next();
  EDGELLM_RETURN_IF_ERROR(ParseStatements({end}, s->body, true));
  return s;
}

// include / import / from / extends need a template loader, which the
// environment does not have: they parse, and fail when they run.
absl::StatusOr<StmtPtr> Parser::ParseUnsupported(const std::string& tag) {
  auto s = NewStmt(StmtKind::kUnsupported, cur().offset);
  Next();
  EDGELLM_ASSIGN_OR_RETURN(s->expr, ParseExpression());
  while (!AtBlockEnd() && cur().type != TokenType::kEof) Next();
  s->text = tag;
  return s;
}

absl::StatusOr<ExprPtr> Parser::ParseAssignTarget(
    bool with_namespace, const std::vector<std::string_view>& extra_end) {
  if (with_namespace && cur().type == TokenType::kName &&
      look().type == TokenType::kOperator && look().value == ".") {
    auto e = NewExpr(ExprKind::kNsRef, cur().offset);
    e->name = cur().value;
    Next();
    Next();
    EDGELLM_ASSIGN_OR_RETURN(e->attr, ExpectName());
    return e;
  }
  EDGELLM_ASSIGN_OR_RETURN(ExprPtr target,
                           ParseTuple(true, true, extra_end, false));
  auto assignable = [](const Expr& e) {
    if (e.kind == ExprKind::kName) {
      return e.name != "true" && e.name != "false" && e.name != "none" &&
             e.name != "True" && e.name != "False" && e.name != "None";
    }
    return false;
  };
  bool ok = assignable(*target);
  if (target->kind == ExprKind::kTuple) {
    ok = true;
    for (const auto& item : target->args) ok = ok && assignable(*item);
  }
  if (!ok) {
    const char* what =
        target->kind == ExprKind::kConst ? "const" : "expression";
    return FailAt(target->offset, Cat("can't assign to '", what, "'"));
  }
  return target;
}

absl::StatusOr<ExprPtr> Parser::ParseTuple(
    bool simplified, bool with_condexpr,
    const std::vector<std::string_view>& extra_end, bool explicit_parens) {
  const uint32_t offset = cur().offset;
  std::vector<ExprPtr> args;
  bool is_tuple = false;
  while (true) {
    if (!args.empty()) EDGELLM_RETURN_IF_ERROR(ExpectOp(","));
    if (IsTupleEnd(extra_end)) break;
    absl::StatusOr<ExprPtr> item =
        simplified ? ParsePrimary() : ParseExpression(with_condexpr);
    if (!item.ok()) return item.status();
    args.push_back(*std::move(item));
    if (IsOp(",")) {
      is_tuple = true;
    } else {
      break;
    }
  }
  if (!is_tuple) {
    if (!args.empty()) return std::move(args[0]);
    if (!explicit_parens) {
      return Fail(Cat("Expected an expression, got '", Describe(cur()), "'"));
    }
  }
  auto e = NewExpr(ExprKind::kTuple, offset);
  e->args = std::move(args);
  return e;
}

absl::StatusOr<ExprPtr> Parser::ParseExpression(bool with_condexpr) {
  Depth depth(this);
  EDGELLM_RETURN_IF_ERROR(depth.Step());
  return with_condexpr ? ParseCondExpr() : ParseOr();
}

absl::StatusOr<ExprPtr> Parser::ParseCondExpr() {
  Depth depth(this);
  uint32_t offset = cur().offset;
  EDGELLM_ASSIGN_OR_RETURN(ExprPtr expr1, ParseOr());
  while (SkipName("if")) {
    EDGELLM_RETURN_IF_ERROR(depth.Step());
    auto e = NewExpr(ExprKind::kCondExpr, offset);
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr test, ParseOr());
    ExprPtr expr3;
    if (SkipName("else")) {
      EDGELLM_ASSIGN_OR_RETURN(expr3, ParseCondExpr());
    }
    e->args.push_back(std::move(expr1));
    e->args.push_back(std::move(test));
    e->args.push_back(std::move(expr3));
    expr1 = std::move(e);
    offset = cur().offset;
  }
  return expr1;
}

absl::StatusOr<ExprPtr> Parser::ParseOr() {
  Depth depth(this);
  EDGELLM_ASSIGN_OR_RETURN(ExprPtr left, ParseAnd());
  while (IsName("or")) {
    auto e = NewExpr(ExprKind::kOr, cur().offset);
    Next();
    EDGELLM_RETURN_IF_ERROR(depth.Step());
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr right, ParseAnd());
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    left = std::move(e);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::ParseAnd() {
  Depth depth(this);
  EDGELLM_ASSIGN_OR_RETURN(ExprPtr left, ParseNot());
  while (IsName("and")) {
    auto e = NewExpr(ExprKind::kAnd, cur().offset);
    Next();
    EDGELLM_RETURN_IF_ERROR(depth.Step());
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr right, ParseNot());
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    left = std::move(e);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::ParseNot() {
  if (IsName("not")) {
    Depth depth(this);
    EDGELLM_RETURN_IF_ERROR(depth.Step());
    auto e = NewExpr(ExprKind::kNot, cur().offset);
    Next();
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr operand, ParseNot());
    e->args.push_back(std::move(operand));
    return e;
  }
  return ParseCompare();
}

absl::StatusOr<ExprPtr> Parser::ParseCompare() {
  Depth depth(this);
  const uint32_t offset = cur().offset;
  EDGELLM_ASSIGN_OR_RETURN(ExprPtr expr, ParseMath1());
  ExprPtr cmp;
  while (true) {
    CompareOp op;
    if (IsOp("==")) {
      op = CompareOp::kEq;
    } else if (IsOp("!=")) {
      op = CompareOp::kNe;
    } else if (IsOp("<")) {
      op = CompareOp::kLt;
    } else if (IsOp("<=")) {
      op = CompareOp::kLe;
    } else if (IsOp(">")) {
      op = CompareOp::kGt;
    } else if (IsOp(">=")) {
      op = CompareOp::kGe;
    } else if (IsName("in")) {
      op = CompareOp::kIn;
    } else if (IsName("not") && look().type == TokenType::kName &&
               look().value == "in") {
      op = CompareOp::kNotIn;
      Next();
    } else {
      break;
    }
    Next();
    EDGELLM_RETURN_IF_ERROR(depth.Step());
    if (cmp == nullptr) {
      cmp = NewExpr(ExprKind::kCompare, offset);
      cmp->args.push_back(std::move(expr));
    }
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr operand, ParseMath1());
    cmp->compare_ops.push_back(op);
    cmp->args.push_back(std::move(operand));
  }
  return cmp != nullptr ? std::move(cmp) : std::move(expr);
}

absl::StatusOr<ExprPtr> Parser::ParseMath1() {
  Depth depth(this);
  EDGELLM_ASSIGN_OR_RETURN(ExprPtr left, ParseConcat());
  while (IsOp("+") || IsOp("-")) {
    auto e = NewExpr(ExprKind::kBinary, cur().offset);
    e->op = IsOp("+") ? BinaryOp::kAdd : BinaryOp::kSub;
    Next();
    EDGELLM_RETURN_IF_ERROR(depth.Step());
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr right, ParseConcat());
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    left = std::move(e);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::ParseConcat() {
  Depth depth(this);
  const uint32_t offset = cur().offset;
  EDGELLM_ASSIGN_OR_RETURN(ExprPtr first, ParseMath2());
  if (!IsOp("~")) return first;
  auto e = NewExpr(ExprKind::kConcat, offset);
  e->args.push_back(std::move(first));
  while (SkipOp("~")) {
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr next, ParseMath2());
    e->args.push_back(std::move(next));
  }
  return e;
}

absl::StatusOr<ExprPtr> Parser::ParseMath2() {
  Depth depth(this);
  EDGELLM_ASSIGN_OR_RETURN(ExprPtr left, ParsePow());
  while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
    auto e = NewExpr(ExprKind::kBinary, cur().offset);
    e->op = IsOp("*")    ? BinaryOp::kMul
            : IsOp("/")  ? BinaryOp::kDiv
            : IsOp("//") ? BinaryOp::kFloorDiv
                         : BinaryOp::kMod;
    Next();
    EDGELLM_RETURN_IF_ERROR(depth.Step());
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr right, ParsePow());
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    left = std::move(e);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::ParsePow() {
  Depth depth(this);
  EDGELLM_ASSIGN_OR_RETURN(ExprPtr left, ParseUnary(true));
  while (IsOp("**")) {
    auto e = NewExpr(ExprKind::kBinary, cur().offset);
    e->op = BinaryOp::kPow;
    Next();
    EDGELLM_RETURN_IF_ERROR(depth.Step());
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr right, ParseUnary(true));
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    left = std::move(e);
  }
  return left;
}

absl::StatusOr<ExprPtr> Parser::ParseUnary(bool with_filter) {
  Depth depth(this);
  EDGELLM_RETURN_IF_ERROR(depth.Step());
  ExprPtr node;
  if (IsOp("-") || IsOp("+")) {
    node = NewExpr(IsOp("-") ? ExprKind::kNeg : ExprKind::kPos, cur().offset);
    Next();
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary(false));
    node->args.push_back(std::move(operand));
  } else {
    EDGELLM_ASSIGN_OR_RETURN(node, ParsePrimary());
  }
  EDGELLM_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
  if (with_filter) {
    EDGELLM_ASSIGN_OR_RETURN(node, ParseFilterExpr(std::move(node)));
  }
  return node;
}

absl::StatusOr<ExprPtr> Parser::ParsePrimary() {
  Depth depth(this);
  EDGELLM_RETURN_IF_ERROR(depth.Step());
  const Token& t = cur();
  if (t.type == TokenType::kName) {
    ExprPtr e;
    if (t.value == "true" || t.value == "True" || t.value == "false" ||
        t.value == "False") {
      e = NewExpr(ExprKind::kConst, t.offset);
      e->constant = Value::Bool(t.value == "true" || t.value == "True");
    } else if (t.value == "none" || t.value == "None") {
      e = NewExpr(ExprKind::kConst, t.offset);
      e->constant = Value::None();
    } else {
      e = NewExpr(ExprKind::kName, t.offset);
      e->name = t.value;
    }
    Next();
    return e;
  }
  if (t.type == TokenType::kString) {
    auto e = NewExpr(ExprKind::kConst, t.offset);
    std::string text;
    while (cur().type == TokenType::kString) {
      text += cur().value;
      Next();
    }
    e->constant = Value::String(std::move(text));
    return e;
  }
  if (t.type == TokenType::kInteger || t.type == TokenType::kFloat) {
    auto e = NewExpr(ExprKind::kConst, t.offset);
    e->constant = t.type == TokenType::kInteger ? Value::Int(t.int_value)
                                                : Value::Float(t.float_value);
    Next();
    return e;
  }
  if (IsOp("(")) {
    Next();
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr e, ParseTuple(false, true, {}, true));
    EDGELLM_RETURN_IF_ERROR(ExpectOp(")"));
    return e;
  }
  if (IsOp("[")) return ParseList();
  if (IsOp("{")) return ParseDict();
  return Fail(Cat("unexpected '", Describe(t), "'"));
}

absl::StatusOr<ExprPtr> Parser::ParseList() {
  auto e = NewExpr(ExprKind::kList, cur().offset);
  Next();
  while (!IsOp("]")) {
    if (!e->args.empty()) EDGELLM_RETURN_IF_ERROR(ExpectOp(","));
    if (IsOp("]")) break;
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression());
    e->args.push_back(std::move(item));
  }
  EDGELLM_RETURN_IF_ERROR(ExpectOp("]"));
  return e;
}

absl::StatusOr<ExprPtr> Parser::ParseDict() {
  auto e = NewExpr(ExprKind::kDict, cur().offset);
  Next();
  while (!IsOp("}")) {
    if (!e->args.empty()) EDGELLM_RETURN_IF_ERROR(ExpectOp(","));
    if (IsOp("}")) break;
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr key, ParseExpression());
    EDGELLM_RETURN_IF_ERROR(ExpectOp(":"));
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression());
    e->args.push_back(std::move(key));
    e->args.push_back(std::move(value));
  }
  EDGELLM_RETURN_IF_ERROR(ExpectOp("}"));
  return e;
}

absl::StatusOr<ExprPtr> Parser::ParsePostfix(ExprPtr node) {
  Depth depth(this);
  while (true) {
    if (IsOp(".") || IsOp("[")) {
      EDGELLM_RETURN_IF_ERROR(depth.Step());
      EDGELLM_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node)));
    } else if (IsOp("(")) {
      EDGELLM_RETURN_IF_ERROR(depth.Step());
      // Errors of a call point at the callee, not at its '('.
      auto call = NewExpr(ExprKind::kCall, node->offset);
      call->args.push_back(std::move(node));
      EDGELLM_RETURN_IF_ERROR(ParseCallArgs(*call));
      node = std::move(call);
    } else {
      return node;
    }
  }
}

absl::StatusOr<ExprPtr> Parser::ParseFilterExpr(ExprPtr node) {
  Depth depth(this);
  while (true) {
    if (IsOp("|")) {
      EDGELLM_RETURN_IF_ERROR(depth.Step());
      EDGELLM_ASSIGN_OR_RETURN(node, ParseFilter(std::move(node), false));
    } else if (IsName("is")) {
      EDGELLM_RETURN_IF_ERROR(depth.Step());
      EDGELLM_ASSIGN_OR_RETURN(node, ParseTest(std::move(node)));
    } else if (IsOp("(")) {
      EDGELLM_RETURN_IF_ERROR(depth.Step());
      // Errors of a call point at the callee, not at its '('.
      auto call = NewExpr(ExprKind::kCall, node->offset);
      call->args.push_back(std::move(node));
      EDGELLM_RETURN_IF_ERROR(ParseCallArgs(*call));
      node = std::move(call);
    } else {
      return node;
    }
  }
}

absl::StatusOr<ExprPtr> Parser::ParseSubscript(ExprPtr node) {
  const Token t = cur();
  Next();
  if (t.value == ".") {
    const Token attr = cur();
    Next();
    if (attr.type == TokenType::kName) {
      auto e = NewExpr(ExprKind::kGetattr, t.offset);
      e->name = attr.value;
      e->args.push_back(std::move(node));
      return e;
    }
    if (attr.type != TokenType::kInteger) {
      return FailAt(attr.offset, "expected name or number");
    }
    auto e = NewExpr(ExprKind::kGetitem, t.offset);
    auto index = NewExpr(ExprKind::kConst, attr.offset);
    index->constant = Value::Int(attr.int_value);
    e->args.push_back(std::move(node));
    e->args.push_back(std::move(index));
    return e;
  }
  // '['
  std::vector<ExprPtr> args;
  while (!IsOp("]")) {
    if (!args.empty()) EDGELLM_RETURN_IF_ERROR(ExpectOp(","));
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr arg, ParseSubscribed());
    args.push_back(std::move(arg));
  }
  EDGELLM_RETURN_IF_ERROR(ExpectOp("]"));
  auto e = NewExpr(ExprKind::kGetitem, t.offset);
  e->args.push_back(std::move(node));
  if (args.size() == 1) {
    e->args.push_back(std::move(args[0]));
  } else {
    auto tuple = NewExpr(ExprKind::kTuple, t.offset);
    tuple->args = std::move(args);
    e->args.push_back(std::move(tuple));
  }
  return e;
}

absl::StatusOr<ExprPtr> Parser::ParseSubscribed() {
  const uint32_t offset = cur().offset;
  std::vector<ExprPtr> parts;
  if (IsOp(":")) {
    Next();
    parts.push_back(nullptr);
  } else {
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr node, ParseExpression());
    if (!IsOp(":")) return node;
    Next();
    parts.push_back(std::move(node));
  }
  if (IsOp(":")) {
    parts.push_back(nullptr);
  } else if (!IsOp("]") && !IsOp(",")) {
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr stop, ParseExpression());
    parts.push_back(std::move(stop));
  } else {
    parts.push_back(nullptr);
  }
  if (IsOp(":")) {
    Next();
    if (!IsOp("]") && !IsOp(",")) {
      EDGELLM_ASSIGN_OR_RETURN(ExprPtr step, ParseExpression());
      parts.push_back(std::move(step));
    } else {
      parts.push_back(nullptr);
    }
  } else {
    parts.push_back(nullptr);
  }
  auto e = NewExpr(ExprKind::kSlice, offset);
  e->args = std::move(parts);
  return e;
}

absl::Status Parser::ParseCallArgs(Expr& call) {
  const uint32_t offset = cur().offset;
  EDGELLM_RETURN_IF_ERROR(ExpectOp("("));
  bool require_comma = false;
  auto invalid = [&]() {
    return FailAt(offset, "invalid syntax for function call expression");
  };
  while (!IsOp(")")) {
    if (require_comma) {
      EDGELLM_RETURN_IF_ERROR(ExpectOp(","));
      if (IsOp(")")) break;
    }
    if (IsOp("*")) {
      if (call.dyn_args || call.dyn_kwargs) return invalid();
      Next();
      EDGELLM_ASSIGN_OR_RETURN(call.dyn_args, ParseExpression());
    } else if (IsOp("**")) {
      if (call.dyn_kwargs) return invalid();
      Next();
      EDGELLM_ASSIGN_OR_RETURN(call.dyn_kwargs, ParseExpression());
    } else if (cur().type == TokenType::kName &&
               look().type == TokenType::kOperator && look().value == "=") {
      if (call.dyn_kwargs) return invalid();
      Keyword kw;
      kw.name = cur().value;
      Next();
      Next();
      EDGELLM_ASSIGN_OR_RETURN(kw.value, ParseExpression());
      call.kwargs.push_back(std::move(kw));
    } else {
      if (call.dyn_args || call.dyn_kwargs || !call.kwargs.empty())
        return invalid();
      EDGELLM_ASSIGN_OR_RETURN(ExprPtr arg, ParseExpression());
      call.args.push_back(std::move(arg));
    }
    require_comma = true;
  }
  return ExpectOp(")");
}

absl::StatusOr<ExprPtr> Parser::ParseFilter(ExprPtr node, bool start_inline) {
  Depth depth(this);
  while (IsOp("|") || start_inline) {
    EDGELLM_RETURN_IF_ERROR(depth.Step());
    if (!start_inline) Next();
    start_inline = false;
    auto e = NewExpr(ExprKind::kFilter, cur().offset);
    EDGELLM_ASSIGN_OR_RETURN(e->name, ExpectName());
    while (SkipOp(".")) {
      EDGELLM_ASSIGN_OR_RETURN(std::string part, ExpectName());
      e->name += "." + part;
    }
    e->args.push_back(std::move(node));
    if (IsOp("(")) EDGELLM_RETURN_IF_ERROR(ParseCallArgs(*e));
    node = std::move(e);
  }
  return node;
}

absl::StatusOr<ExprPtr> Parser::ParseTest(ExprPtr node) {
  const uint32_t offset = cur().offset;
  Next();  // 'is'
  const bool negated = SkipName("not");
  auto e = NewExpr(ExprKind::kTest, offset);
  EDGELLM_ASSIGN_OR_RETURN(e->name, ExpectName());
  while (SkipOp(".")) {
    EDGELLM_ASSIGN_OR_RETURN(std::string part, ExpectName());
    e->name += "." + part;
  }
  e->args.push_back(std::move(node));
  if (IsOp("(")) {
    EDGELLM_RETURN_IF_ERROR(ParseCallArgs(*e));
  } else if ((cur().type == TokenType::kName ||
              cur().type == TokenType::kString ||
              cur().type == TokenType::kInteger ||
              cur().type == TokenType::kFloat || IsOp("(") || IsOp("[") ||
              IsOp("{")) &&
             !IsName("else") && !IsName("or") && !IsName("and")) {
    if (IsName("is")) return Fail("You cannot chain multiple tests with is");
    EDGELLM_ASSIGN_OR_RETURN(ExprPtr arg, ParsePrimary());
    EDGELLM_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
    e->args.push_back(std::move(arg));
  }
  if (!negated) return e;
  auto n = NewExpr(ExprKind::kNot, offset);
  n->args.push_back(std::move(e));
  return n;
}

// The checks Jinja2's compiler makes after parsing.
class Checker {
 public:
  explicit Checker(std::string_view src) : src_(src) {}

  absl::Status Body(jinja::Body& body, bool soft, bool in_loop) {
    for (auto& s : body) EDGELLM_RETURN_IF_ERROR(Statement(*s, soft, in_loop));
    return absl::OkStatus();
  }

 private:
  absl::Status FailAt(ErrorType type, uint32_t offset,
                      std::string_view message) {
    int line, column;
    LineColumn(src_, offset, line, column);
    return WithPosition(MakeError(type, message), line, column);
  }

  absl::Status Statement(Stmt& s, bool soft, bool in_loop) {
    auto expr = [&](ExprPtr& e, bool soft_here) {
      return e ? Expression(*e, soft_here) : absl::OkStatus();
    };
    switch (s.kind) {
      case StmtKind::kIf:
        for (auto& t : s.tests) EDGELLM_RETURN_IF_ERROR(expr(t, true));
        for (auto& b : s.bodies)
          EDGELLM_RETURN_IF_ERROR(Body(b, true, in_loop));
        return Body(s.else_body, true, in_loop);
      case StmtKind::kFor:
        EDGELLM_RETURN_IF_ERROR(expr(s.expr, soft));
        EDGELLM_RETURN_IF_ERROR(expr(s.condition, false));
        EDGELLM_RETURN_IF_ERROR(Body(s.body, false, true));
        return Body(s.else_body, false, in_loop);
      case StmtKind::kMacro:
      case StmtKind::kCallBlock:
        for (auto& d : s.defaults) EDGELLM_RETURN_IF_ERROR(expr(d, false));
        EDGELLM_RETURN_IF_ERROR(expr(s.expr, soft));
        ScanSpecialNames(s);
        return Body(s.body, false, false);
      case StmtKind::kWith:
        for (auto& v : s.with_values) EDGELLM_RETURN_IF_ERROR(expr(v, soft));
        return Body(s.body, false, in_loop);
      case StmtKind::kSetBlock:
      case StmtKind::kFilterBlock:
        EDGELLM_RETURN_IF_ERROR(expr(s.expr, false));
        return Body(s.body, false, in_loop);
      case StmtKind::kScope:
        return Body(s.body, false, in_loop);
      case StmtKind::kBreak:
      case StmtKind::kContinue:
        if (!in_loop) {
          return FailAt(ErrorType::kSyntaxError, s.offset,
                        s.kind == StmtKind::kBreak
                            ? "'break' outside loop"
                            : "'continue' not properly in loop");
        }
        return absl::OkStatus();
      default:
        return expr(s.expr, soft);
    }
  }

  absl::Status Expression(Expr& e, bool soft) {
    if (e.kind == ExprKind::kCondExpr) {
      soft = true;
      // What an else-less conditional yields when false, as Jinja2 words it.
      int line, column;
      LineColumn(src_, e.offset, line, column);
      e.constant =
          Value::Undefined(Cat("the inline if-expression on line ", line,
                               " evaluated to false and no else section "
                               "was defined."));
    }
    if (e.kind == ExprKind::kFilter || e.kind == ExprKind::kTest) {
      e.soft = soft;
      const bool filter = e.kind == ExprKind::kFilter;
      if (filter) {
        e.filter = FindFilter(e.name);
      } else {
        e.test = FindTest(e.name);
      }
      const bool known = filter ? e.filter != nullptr : e.test != nullptr;
      if (!known && !soft) {
        return FailAt(
            ErrorType::kTemplateAssertionError, e.offset,
            Cat("No ", filter ? "filter" : "test", " named '", e.name, "'."));
      }
    }
    for (auto& a : e.args) {
      if (a) EDGELLM_RETURN_IF_ERROR(Expression(*a, soft));
    }
    for (auto& k : e.kwargs)
      EDGELLM_RETURN_IF_ERROR(Expression(*k.value, soft));
    if (e.dyn_args) EDGELLM_RETURN_IF_ERROR(Expression(*e.dyn_args, soft));
    if (e.dyn_kwargs) EDGELLM_RETURN_IF_ERROR(Expression(*e.dyn_kwargs, soft));
    return absl::OkStatus();
  }

  // Jinja2 lets a macro take extra arguments only when its body reads
  // `varargs` / `kwargs`, and a call block's caller only when it reads
  // `caller`.
  static void ScanSpecialNames(Stmt& macro) {
    auto visit_expr = [&macro](const Expr& e, auto& self) -> void {
      if (e.kind == ExprKind::kName) {
        if (e.name == "varargs") macro.uses_varargs = true;
        if (e.name == "kwargs") macro.uses_kwargs = true;
        if (e.name == "caller") macro.uses_caller = true;
      }
      for (const auto& a : e.args) {
        if (a) self(*a, self);
      }
      for (const auto& k : e.kwargs) self(*k.value, self);
      if (e.dyn_args) self(*e.dyn_args, self);
      if (e.dyn_kwargs) self(*e.dyn_kwargs, self);
    };
    auto visit_body = [&visit_expr](const jinja::Body& body,
                                    auto& self) -> void {
      for (const auto& s : body) {
        for (const ExprPtr* e : {&s->expr, &s->target, &s->condition}) {
          if (*e) visit_expr(**e, visit_expr);
        }
        for (const auto& t : s->tests) visit_expr(*t, visit_expr);
        for (const auto& d : s->defaults) visit_expr(*d, visit_expr);
        for (const auto& v : s->with_values) visit_expr(*v, visit_expr);
        for (const auto& b : s->bodies) self(b, self);
        self(s->body, self);
        self(s->else_body, self);
      }
    };
    visit_body(macro.body, visit_body);
  }

  std::string_view src_;
};

}  // namespace

absl::StatusOr<Body> Parse(std::vector<Token> tokens, std::string_view source) {
  Parser parser(std::move(tokens), source);
  EDGELLM_ASSIGN_OR_RETURN(Body body, parser.ParseTemplate());
  Checker checker(source);
  EDGELLM_RETURN_IF_ERROR(checker.Body(body, false, false));
  return body;
}

}  // namespace edgellm::chat::jinja
