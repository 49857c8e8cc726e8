// Splits a template into tokens the way Jinja2's lexer does: template data
// between tags (with `-`/`+` whitespace control, trim_blocks and
// lstrip_blocks applied), and the tokens inside {{ }} and {% %}. Comments are
// dropped; {% raw %} bodies come out as data.
#ifndef EDGELLM_RUNTIME_CHAT_JINJA_LEXER_H_
#define EDGELLM_RUNTIME_CHAT_JINJA_LEXER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace edgellm::chat::jinja {

struct LexOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

enum class TokenType : uint8_t {
  kData,
  kVariableBegin,
  kVariableEnd,
  kBlockBegin,
  kBlockEnd,
  kName,
  kString,  // value is the unescaped text
  kInteger,
  kFloat,
  kOperator,  // value is the operator text: "+", "//", "(", ...
  kEof,
};

struct Token {
  TokenType type;
  std::string value;
  uint32_t offset = 0;  // byte offset in the normalized source
  int64_t int_value = 0;
  double float_value = 0;
};

// Jinja2 reads "\r\n", "\r" and "\n" as line breaks and renders each as
// "\n"; with keep_trailing_newline off, one final line break is dropped.
std::string NormalizeNewlines(std::string_view source,
                              bool keep_trailing_newline);

// Tokenizes a normalized source (see NormalizeNewlines). Errors are
// TemplateSyntaxError with the offending offset's position.
absl::StatusOr<std::vector<Token>> Tokenize(std::string_view source,
                                            const LexOptions& options);

// 1-based line and column (in characters) of a byte offset.
void LineColumn(std::string_view source, uint32_t offset, int& line,
                int& column);

}  // namespace edgellm::chat::jinja

#endif  // EDGELLM_RUNTIME_CHAT_JINJA_LEXER_H_
