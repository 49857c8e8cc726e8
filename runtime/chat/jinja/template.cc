#include "runtime/chat/jinja/template.h"

#include "runtime/chat/jinja/ast.h"
#include "runtime/chat/jinja/interpreter.h"
#include "runtime/chat/jinja/lexer.h"
#include "runtime/chat/jinja/parser.h"
#include "runtime/chat/jinja/py_str.h"
#include "runtime/chat/jinja/str_cat.h"
#include "util/status_macros.h"

namespace edgellm::chat::jinja {
namespace {

// JSON contexts nested deeper than this are refused (the conversion and
// the encoder recurse).
constexpr int kMaxContextDepth = 256;

bool DeeperThan(const nlohmann::ordered_json& j, int limit) {
  if (limit < 0) return true;
  if (!j.is_structured()) return false;
  for (const auto& e : j) {
    if (DeeperThan(e, limit - 1)) return true;
  }
  return false;
}

}  // namespace

struct Template::Impl {
  std::string source;  // normalized
  Body body;
};

absl::StatusOr<Template> Template::Parse(std::string_view source,
                                         const ParseOptions& options) {
  if (const size_t bad = py::FindInvalidUtf8(source);
      bad != std::string_view::npos) {
    return MakeError(ErrorType::kTemplateSyntaxError,
                     Cat("template is not valid UTF-8 (byte ", bad, ")"));
  }
  auto impl = std::make_shared<Impl>();
  impl->source = NormalizeNewlines(source, options.keep_trailing_newline);
  LexOptions lex;
  lex.trim_blocks = options.trim_blocks;
  lex.lstrip_blocks = options.lstrip_blocks;
  lex.keep_trailing_newline = options.keep_trailing_newline;
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Token> tokens,
                           Tokenize(impl->source, lex));
  EDGELLM_ASSIGN_OR_RETURN(impl->body,
                           jinja::Parse(std::move(tokens), impl->source));
  return Template(std::move(impl));
}

absl::StatusOr<std::string> Template::Render(
    const Dict& context, const RenderOptions& options) const {
  Interpreter interpreter(impl_->source, impl_->body, context, options);
  return interpreter.Render();
}

absl::StatusOr<std::string> Template::RenderJson(
    const nlohmann::ordered_json& context, const RenderOptions& options) const {
  if (!context.is_object()) {
    return absl::InvalidArgumentError("template context must be a JSON object");
  }
  if (DeeperThan(context, kMaxContextDepth)) {
    return absl::InvalidArgumentError(
        Cat("template context nested deeper than ", kMaxContextDepth));
  }
  const Value v = Value::FromJson(context);
  return Render(v.dict(), options);
}

}  // namespace edgellm::chat::jinja
