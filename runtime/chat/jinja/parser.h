// Recursive-descent parser from tokens to the syntax tree, following the
// grammar and precedence of Jinja2's parser (jinja2/parser.py), plus the
// compile-time checks Jinja2's compiler makes (unknown filters and tests
// outside if/conditional expressions, break/continue outside loops).
#ifndef EDGELLM_RUNTIME_CHAT_JINJA_PARSER_H_
#define EDGELLM_RUNTIME_CHAT_JINJA_PARSER_H_

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/chat/jinja/ast.h"
#include "runtime/chat/jinja/lexer.h"

namespace edgellm::chat::jinja {

// Nesting deeper than this (expressions, statements or operator chains) is a
// TemplateSyntaxError, which keeps parsing and rendering off deep stacks.
inline constexpr int kMaxParseDepth = 200;

// `source` is the normalized source the tokens came from (for positions).
absl::StatusOr<Body> Parse(std::vector<Token> tokens, std::string_view source);

}  // namespace edgellm::chat::jinja

#endif  // EDGELLM_RUNTIME_CHAT_JINJA_PARSER_H_
