#include "runtime/chat/output/pythonic.h"

#include <cstdint>
#include <string>

#include "runtime/chat/output/text_util.h"
#include "runtime/chat/output/utf8.h"
#include "runtime/chat/output/value_scanner.h"

namespace edgellm::chat::output::internal {
namespace {

using Json = nlohmann::ordered_json;

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

// Appends code point `cp` as UTF-8; false for a surrogate or out of range.
bool AppendUtf8(uint32_t cp, std::string& out) {
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp <= 0x10FFFF) {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    return false;
  }
  return true;
}

// A recursive-descent reader over the Python subset; every method leaves
// pos_ after what it read and returns false on a syntax error.
class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  bool AtEnd() {
    SkipSpace();
    return pos_ == s_.size();
  }

  bool Literal(Json& out, int depth) {
    if (depth > kMaxValueDepth) return false;
    SkipSpace();
    if (pos_ == s_.size()) return false;
    const char c = s_[pos_];
    if (c == '"' || c == '\'') {
      std::string str;
      if (!String(str)) return false;
      out = std::move(str);
      return true;
    }
    if (c == '[' || c == '(') return Sequence(c == '[' ? ']' : ')', out, depth);
    if (c == '{') return Dict(out, depth);
    if (IsIdentStart(c)) {
      const std::string_view word = Identifier();
      if (word == "True" || word == "true") {
        out = true;
      } else if (word == "False" || word == "false") {
        out = false;
      } else if (word == "None" || word == "null") {
        out = nullptr;
      } else {
        return false;
      }
      return true;
    }
    return Number(out);
  }

  // name(k=v, ...): one call.
  bool Call(PythonCall& call) {
    SkipSpace();
    if (pos_ == s_.size() || !IsIdentStart(s_[pos_])) return false;
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (IsIdentChar(s_[pos_]) || s_[pos_] == '.' || s_[pos_] == '-')) {
      ++pos_;
    }
    call.name = std::string(s_.substr(start, pos_ - start));
    SkipSpace();
    if (!Eat('(')) return false;
    call.arguments = Json::object();
    SkipSpace();
    if (Eat(')')) return true;
    while (true) {
      SkipSpace();
      if (pos_ == s_.size() || !IsIdentStart(s_[pos_])) return false;
      const std::string key(Identifier());
      SkipSpace();
      if (!Eat('=')) return false;
      Json value;
      if (!Literal(value, 1)) return false;
      call.arguments[key] = std::move(value);
      SkipSpace();
      if (Eat(')')) return true;
      if (!Eat(',')) return false;
      SkipSpace();
      if (Eat(')')) return true;  // trailing comma
    }
  }

  bool Eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }

 private:
  std::string_view Identifier() {
    const size_t start = pos_;
    while (pos_ < s_.size() && IsIdentChar(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  bool Hex(size_t digits, uint32_t& value) {
    if (pos_ + digits > s_.size()) return false;
    value = 0;
    for (size_t i = 0; i < digits; ++i) {
      const char c = s_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        value |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        value |= c - 'A' + 10;
      } else {
        return false;
      }
    }
    return true;
  }

  bool String(std::string& out) {
    const char quote = s_[pos_++];
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == quote) return IsValidUtf8(out);
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ == s_.size()) return false;
      const char e = s_[pos_++];
      uint32_t cp = 0;
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case '0':
          out += '\0';
          break;
        case '\\':
        case '\'':
        case '"':
        case '/':
          out += e;
          break;
        case '\n':
          break;  // line continuation
        case 'x':
          if (!Hex(2, cp) || !AppendUtf8(cp, out)) return false;
          break;
        case 'u':
          if (!Hex(4, cp) || !AppendUtf8(cp, out)) return false;
          break;
        case 'U':
          if (!Hex(8, cp) || !AppendUtf8(cp, out)) return false;
          break;
        default:  // Python keeps unknown escapes as written
          out += '\\';
          out += e;
      }
    }
    return false;  // unterminated
  }

  bool Number(Json& out) {
    const size_t start = pos_;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
          c == 'e' || c == 'E') {
        ++pos_;
      } else {
        break;
      }
    }
    if (pos_ == start) return false;
    std::string_view digits = s_.substr(start, pos_ - start);
    std::string token;
    if (digits.front() == '-') {
      token += '-';
      digits.remove_prefix(1);
    } else if (digits.front() == '+') {
      digits.remove_prefix(1);
    }
    // Python's "1." and ".5" are not JSON numbers.
    if (!digits.empty() && digits.front() == '.') token += '0';
    token.append(digits);
    if (!digits.empty() && digits.back() == '.') token += '0';
    Json parsed = Json::parse(token, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_number()) return false;
    out = std::move(parsed);
    return true;
  }

  bool Sequence(char close, Json& out, int depth) {
    ++pos_;
    out = Json::array();
    SkipSpace();
    if (Eat(close)) return true;
    while (true) {
      Json item;
      if (!Literal(item, depth + 1)) return false;
      out.push_back(std::move(item));
      SkipSpace();
      if (Eat(close)) return true;
      if (!Eat(',')) return false;
      SkipSpace();
      if (Eat(close)) return true;
    }
  }

  bool Dict(Json& out, int depth) {
    ++pos_;
    out = Json::object();
    SkipSpace();
    if (Eat('}')) return true;
    while (true) {
      Json key;
      if (!Literal(key, depth + 1)) return false;
      std::string key_text;
      if (key.is_string()) {
        key_text = key.get<std::string>();
      } else if (key.is_number() || key.is_boolean() || key.is_null()) {
        key_text = key.dump();
      } else {
        return false;
      }
      SkipSpace();
      if (!Eat(':')) return false;
      Json value;
      if (!Literal(value, depth + 1)) return false;
      out[key_text] = std::move(value);
      SkipSpace();
      if (Eat('}')) return true;
      if (!Eat(',')) return false;
      SkipSpace();
      if (Eat('}')) return true;
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<std::vector<PythonCall>> ParsePythonCalls(std::string_view text) {
  Reader r(text);
  std::vector<PythonCall> calls;
  r.SkipSpace();
  const bool list = r.Eat('[');
  while (true) {
    r.SkipSpace();
    if (list && r.Eat(']')) break;
    if (!list && r.AtEnd()) break;
    PythonCall call;
    if (!r.Call(call)) return std::nullopt;
    calls.push_back(std::move(call));
    r.SkipSpace();
    if (r.Eat(',') || r.Eat(';')) continue;
    if (list && !r.Eat(']')) return std::nullopt;
    if (list) break;
  }
  if (!r.AtEnd() || calls.empty()) return std::nullopt;
  return calls;
}

std::optional<nlohmann::ordered_json> ParsePythonLiteral(
    std::string_view text) {
  Reader r(text);
  Json value;
  if (!r.Literal(value, 0) || !r.AtEnd()) return std::nullopt;
  return value;
}

}  // namespace edgellm::chat::output::internal
