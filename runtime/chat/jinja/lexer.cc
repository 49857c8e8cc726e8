#include "runtime/chat/jinja/lexer.h"

#include <cstdlib>
#include <limits>
#include <optional>

#include "runtime/chat/jinja/error.h"
#include "runtime/chat/jinja/py_str.h"
#include "runtime/chat/jinja/str_cat.h"

namespace edgellm::chat::jinja {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c >= 0x80;
}
bool IsNameChar(unsigned char c) { return IsNameStart(c) || IsDigit(c); }

// Operators, longest first, as Jinja2's operator regex orders them.
constexpr std::string_view kOperators[] = {
    "//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[",
    "]",  "(",  ")",  "{",  "}",  "=",  ".", ":", "|", ",", ";", "<", ">"};

class Lexer {
 public:
  Lexer(std::string_view src, const LexOptions& options)
      : src_(src), options_(options) {}

  absl::StatusOr<std::vector<Token>> Run();

 private:
  absl::Status Error(uint32_t offset, std::string_view message) const {
    int line, column;
    LineColumn(src_, offset, line, column);
    return WithPosition(MakeError(ErrorType::kTemplateSyntaxError, message),
                        line, column);
  }
  bool At(size_t pos, std::string_view s) const {
    return src_.compare(pos, s.size(), s) == 0;
  }
  // Length of the Python whitespace character at pos, or 0.
  size_t SpaceAt(size_t pos) const;
  size_t SkipSpace(size_t pos) const {
    while (pos < src_.size()) {
      const size_t n = SpaceAt(pos);
      if (n == 0) break;
      pos += n;
    }
    return pos;
  }
  void Emit(TokenType type, std::string value, size_t offset) {
    tokens_.push_back(
        Token{type, std::move(value), static_cast<uint32_t>(offset)});
  }
  // Applies `-` / lstrip_blocks to the data before a tag and emits it.
  void EmitData(std::string_view text, size_t offset, char sign,
                bool is_variable);
  std::string RStrip(std::string_view text) const;
  absl::Status LexComment(size_t& pos);
  absl::Status LexRaw(size_t& pos);
  absl::Status LexTag(size_t& pos, bool is_block);
  // Number, name, string or operator at pos; advances pos.
  absl::Status LexOne(size_t& pos, std::vector<char>& balance);
  bool LexFloat(size_t& pos);
  bool LexInteger(size_t& pos, absl::Status& error);
  absl::Status LexString(size_t& pos);

  std::string_view src_;
  LexOptions options_;
  std::vector<Token> tokens_;
  bool line_starting_ = true;
};

size_t Lexer::SpaceAt(size_t pos) const {
  const auto c = static_cast<unsigned char>(src_[pos]);
  if (c < 0x80) return py::IsSpace(c) ? 1 : 0;
  const size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  const std::u32string cp = py::Decode(src_.substr(pos, len));
  return !cp.empty() && py::IsSpace(cp[0]) ? len : 0;
}

std::string Lexer::RStrip(std::string_view text) const {
  return py::Strip(text, std::nullopt, /*left=*/false, /*right=*/true);
}

void Lexer::EmitData(std::string_view text, size_t offset, char sign,
                     bool is_variable) {
  std::string data(text);
  if (sign == '-') {
    data = RStrip(text);
  } else if (sign != '+' && options_.lstrip_blocks && !is_variable) {
    // Spaces from the start of the line up to a block tag or comment.
    const size_t nl = text.rfind('\n');
    const size_t l_pos = nl == std::string_view::npos ? 0 : nl + 1;
    if (l_pos > 0 || line_starting_) {
      const std::string_view tail = text.substr(l_pos);
      bool all_space = !tail.empty();
      for (char32_t c : py::Decode(tail))
        all_space = all_space && py::IsSpace(c);
      if (all_space) data = std::string(text.substr(0, l_pos));
    }
  }
  if (!data.empty()) Emit(TokenType::kData, std::move(data), offset);
}

absl::StatusOr<std::vector<Token>> Lexer::Run() {
  size_t pos = 0;
  while (pos < src_.size()) {
    size_t tag = pos;
    while (true) {
      tag = src_.find('{', tag);
      if (tag == std::string_view::npos || tag + 1 >= src_.size()) {
        tag = std::string_view::npos;
        break;
      }
      const char k = src_[tag + 1];
      if (k == '{' || k == '%' || k == '#') break;
      ++tag;
    }
    if (tag == std::string_view::npos) {
      Emit(TokenType::kData, std::string(src_.substr(pos)), pos);
      break;
    }
    const char kind = src_[tag + 1];
    char sign = 0;
    if (tag + 2 < src_.size() &&
        (src_[tag + 2] == '-' || src_[tag + 2] == '+')) {
      sign = src_[tag + 2];
    }
    EmitData(src_.substr(pos, tag - pos), pos, sign, kind == '{');
    line_starting_ = false;
    pos = tag + 2 + (sign ? 1 : 0);
    absl::Status status;
    if (kind == '#') {
      status = LexComment(pos);
    } else if (kind == '%') {
      // {% raw %} is recognised before any other block.
      size_t p = SkipSpace(pos);
      if (At(p, "raw")) {
        p = SkipSpace(p + 3);
        if (At(p, "-%}") || At(p, "%}")) {
          pos = At(p, "-%}") ? SkipSpace(p + 3) : p + 2;
          status = LexRaw(pos);
          if (!status.ok()) return status;
          continue;
        }
      }
      Emit(TokenType::kBlockBegin, "", tag);
      status = LexTag(pos, /*is_block=*/true);
    } else {
      Emit(TokenType::kVariableBegin, "", tag);
      status = LexTag(pos, /*is_block=*/false);
    }
    if (!status.ok()) return status;
  }
  Emit(TokenType::kEof, "", src_.size());
  return std::move(tokens_);
}

absl::Status Lexer::LexComment(size_t& pos) {
  const size_t start = pos;
  const size_t end = src_.find("#}", pos);
  if (end == std::string_view::npos) {
    return Error(start, "Missing end of comment tag");
  }
  const char before = end > start ? src_[end - 1] : 0;
  pos = end + 2;
  if (before == '-') {
    pos = SkipSpace(pos);
  } else if (before != '+' && options_.trim_blocks && pos < src_.size() &&
             src_[pos] == '\n') {
    ++pos;
  }
  line_starting_ = pos > 0 && src_[pos - 1] == '\n';
  return absl::OkStatus();
}

absl::Status Lexer::LexRaw(size_t& pos) {
  // The body runs to the first {% endraw %} (with optional -/+ signs).
  size_t search = pos;
  while (true) {
    const size_t tag = src_.find("{%", search);
    if (tag == std::string_view::npos) {
      return Error(pos, "Missing end of raw directive");
    }
    size_t p = tag + 2;
    char sign = 0;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) sign = src_[p++];
    p = SkipSpace(p);
    if (!At(p, "endraw")) {
      search = tag + 2;
      continue;
    }
    p = SkipSpace(p + 6);
    size_t end;
    if (At(p, "+%}")) {
      end = p + 3;
    } else if (At(p, "-%}")) {
      end = SkipSpace(p + 3);
    } else if (At(p, "%}")) {
      end = p + 2;
      if (options_.trim_blocks && end < src_.size() && src_[end] == '\n') ++end;
    } else {
      search = tag + 2;
      continue;
    }
    EmitData(src_.substr(pos, tag - pos), pos, sign, /*is_variable=*/false);
    pos = end;
    line_starting_ = pos > 0 && src_[pos - 1] == '\n';
    return absl::OkStatus();
  }
}

absl::Status Lexer::LexTag(size_t& pos, bool is_block) {
  std::vector<char> balance;
  while (true) {
    if (pos >= src_.size()) {
      Emit(TokenType::kEof, "", pos);
      return Error(pos, "unexpected end of template");
    }
    if (balance.empty()) {
      size_t end = 0;
      if (is_block) {
        if (At(pos, "+%}")) {
          end = pos + 3;
        } else if (At(pos, "-%}")) {
          end = SkipSpace(pos + 3);
        } else if (At(pos, "%}")) {
          end = pos + 2;
          if (options_.trim_blocks && end < src_.size() && src_[end] == '\n') {
            ++end;
          }
        }
      } else if (At(pos, "-}}")) {
        end = SkipSpace(pos + 3);
      } else if (At(pos, "}}")) {
        end = pos + 2;
      }
      if (end != 0) {
        Emit(is_block ? TokenType::kBlockEnd : TokenType::kVariableEnd, "",
             pos);
        pos = end;
        line_starting_ = src_[pos - 1] == '\n';
        return absl::OkStatus();
      }
    }
    const size_t space = SkipSpace(pos);
    if (space != pos) {
      pos = space;
      continue;
    }
    absl::Status status = LexOne(pos, balance);
    if (!status.ok()) return status;
  }
}

absl::Status Lexer::LexOne(size_t& pos, std::vector<char>& balance) {
  const size_t start = pos;
  if (LexFloat(pos)) return absl::OkStatus();
  absl::Status int_error;
  if (LexInteger(pos, int_error)) return int_error;
  const auto c = static_cast<unsigned char>(src_[pos]);
  if (IsNameStart(c)) {
    size_t end = pos;
    while (end < src_.size() &&
           IsNameChar(static_cast<unsigned char>(src_[end]))) {
      ++end;
    }
    Emit(TokenType::kName, std::string(src_.substr(pos, end - pos)), pos);
    pos = end;
    return absl::OkStatus();
  }
  if (c == '\'' || c == '"') return LexString(pos);
  for (std::string_view op : kOperators) {
    if (!At(pos, op)) continue;
    if (op == "(" || op == "[" || op == "{") {
      balance.push_back(op == "(" ? ')' : op == "[" ? ']' : '}');
    } else if (op == ")" || op == "]" || op == "}") {
      if (balance.empty()) return Error(start, Cat("unexpected '", op, "'"));
      if (balance.back() != op[0]) {
        return Error(start, Cat("unexpected '", op, "', expected '",
                                std::string(1, balance.back()), "'"));
      }
      balance.pop_back();
    }
    Emit(TokenType::kOperator, std::string(op), pos);
    pos += op.size();
    return absl::OkStatus();
  }
  std::string shown = c < 0x80 ? std::string(1, static_cast<char>(c))
                               : std::string(src_.substr(pos, 1));
  return Error(start,
               Cat("unexpected char ", py::StringRepr(shown), " at ", start));
}

// (\d+_)*\d+ ((\.(\d+_)*\d+)? e[+-]?(\d+_)*\d+ | \.(\d+_)*\d+), not after '.'.
bool Lexer::LexFloat(size_t& pos) {
  if (!IsDigit(src_[pos]) || (pos > 0 && src_[pos - 1] == '.')) return false;
  auto digits = [this](size_t p) -> size_t {  // (\d+_)*\d+ ; returns end or p
    size_t q = p;
    while (true) {
      size_t r = q;
      while (r < src_.size() && IsDigit(src_[r])) ++r;
      if (r == q) return q == p ? p : q - 1;  // backtrack over a trailing '_'
      q = r;
      if (q < src_.size() && src_[q] == '_' && q + 1 < src_.size() &&
          IsDigit(src_[q + 1])) {
        ++q;
        continue;
      }
      return q;
    }
  };
  const size_t int_end = digits(pos);
  size_t p = int_end;
  bool has_fraction = false;
  if (p < src_.size() && src_[p] == '.') {
    const size_t frac_end = digits(p + 1);
    if (frac_end != p + 1) {
      p = frac_end;
      has_fraction = true;
    }
  }
  bool has_exponent = false;
  if (p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
    size_t q = p + 1;
    if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
    const size_t exp_end = digits(q);
    if (exp_end != q) {
      p = exp_end;
      has_exponent = true;
    }
  }
  if (!has_fraction && !has_exponent) return false;
  std::string text;
  for (size_t i = pos; i < p; ++i) {
    if (src_[i] != '_') text.push_back(src_[i]);
  }
  Token t{TokenType::kFloat, std::string(src_.substr(pos, p - pos)),
          static_cast<uint32_t>(pos)};
  t.float_value = std::strtod(text.c_str(), nullptr);
  tokens_.push_back(std::move(t));
  pos = p;
  return true;
}

bool Lexer::LexInteger(size_t& pos, absl::Status& error) {
  if (!IsDigit(src_[pos])) return false;
  int base = 10;
  size_t p = pos;
  auto is_digit_of = [&base](char c) {
    if (base == 2) return c == '0' || c == '1';
    if (base == 8) return c >= '0' && c <= '7';
    if (base == 16) {
      return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
    return IsDigit(c);
  };
  if (src_[p] == '0' && p + 1 < src_.size()) {
    const char x = src_[p + 1] | 0x20;
    const int b = x == 'b' ? 2 : x == 'o' ? 8 : x == 'x' ? 16 : 0;
    if (b != 0) {
      base = b;
      size_t q = p + 2;
      if (q < src_.size() && src_[q] == '_') ++q;
      if (q < src_.size() && is_digit_of(src_[q])) {
        p += 2;
      } else {
        base = 10;
      }
    }
  }
  std::string digits;
  if (base == 10 && src_[p] == '0') {
    // 0(_?0)*
    ++p;
    digits = "0";
    while (p < src_.size()) {
      if (src_[p] == '0') {
        ++p;
      } else if (src_[p] == '_' && p + 1 < src_.size() && src_[p + 1] == '0') {
        p += 2;
      } else {
        break;
      }
    }
  } else {
    while (p < src_.size()) {
      if (is_digit_of(src_[p])) {
        digits.push_back(src_[p++]);
      } else if (src_[p] == '_' && p + 1 < src_.size() &&
                 is_digit_of(src_[p + 1])) {
        ++p;
      } else {
        break;
      }
    }
  }
  Token t{TokenType::kInteger, std::string(src_.substr(pos, p - pos)),
          static_cast<uint32_t>(pos)};
  errno = 0;
  const unsigned long long v = std::strtoull(digits.c_str(), nullptr, base);
  if (errno == ERANGE || v > static_cast<unsigned long long>(
                                 std::numeric_limits<int64_t>::max())) {
    error = Error(pos, "integer literal too large");
  }
  t.int_value = static_cast<int64_t>(v);
  tokens_.push_back(std::move(t));
  pos = p;
  return true;
}

// Python's unicode-escape decoding of the literal's body.
absl::Status Lexer::LexString(size_t& pos) {
  const size_t start = pos;
  const char quote = src_[pos];
  std::string out;
  size_t p = pos + 1;
  auto hex_value = [this](size_t at, int n, uint32_t& v) {
    v = 0;
    for (int i = 0; i < n; ++i) {
      if (at + i >= src_.size()) return false;
      const char h = src_[at + i];
      int d;
      if (IsDigit(h)) {
        d = h - '0';
      } else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f') {
        d = (h | 0x20) - 'a' + 10;
      } else {
        return false;
      }
      v = v * 16 + d;
    }
    return true;
  };
  while (true) {
    if (p >= src_.size())
      return Error(start, "unexpected end of string literal");
    const char c = src_[p];
    if (c == quote) break;
    if (c != '\\') {
      out.push_back(c);
      ++p;
      continue;
    }
    if (p + 1 >= src_.size())
      return Error(start, "unexpected end of string literal");
    const char e = src_[p + 1];
    p += 2;
    switch (e) {
      case '\n':
        break;
      case '\\':
      case '\'':
      case '"':
        out.push_back(e);
        break;
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case 'x':
      case 'u':
      case 'U': {
        const int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t v;
        if (!hex_value(p, n, v)) {
          return Error(p - 2, Cat("truncated \\", std::string(1, e),
                                  " escape in string literal"));
        }
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
          return Error(p - 2,
                       "string literal escape is not a Unicode scalar value");
        }
        p += n;
        py::AppendUtf8(out, v);
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t v = e - '0';
          for (int i = 0;
               i < 2 && p < src_.size() && src_[p] >= '0' && src_[p] <= '7';
               ++i) {
            v = v * 8 + (src_[p++] - '0');
          }
          py::AppendUtf8(out, v);
        } else if (e == 'N') {
          return Error(p - 2, "\\N{...} escapes are not supported");
        } else {
          out.push_back('\\');
          out.push_back(e);
        }
        break;
    }
  }
  Emit(TokenType::kString, std::move(out), start);
  pos = p + 1;
  return absl::OkStatus();
}

}  // namespace

std::string NormalizeNewlines(std::string_view source,
                              bool keep_trailing_newline) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!keep_trailing_newline && !out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

absl::StatusOr<std::vector<Token>> Tokenize(std::string_view source,
                                            const LexOptions& options) {
  return Lexer(source, options).Run();
}

void LineColumn(std::string_view source, uint32_t offset, int& line,
                int& column) {
  line = 1;
  size_t line_start = 0;
  const size_t end = std::min<size_t>(offset, source.size());
  for (size_t i = 0; i < end; ++i) {
    if (source[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  column = 1 + static_cast<int>(
                   py::Length(source.substr(line_start, end - line_start)));
}

}  // namespace edgellm::chat::jinja
