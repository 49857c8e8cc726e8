#include "runtime/chat/jinja/py_str.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "utf8proc.h"

namespace edgellm::chat::jinja::py {
namespace {

utf8proc_category_t Category(char32_t c) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

char32_t ToUpper(char32_t c) { return utf8proc_toupper(c); }
char32_t ToLower(char32_t c) { return utf8proc_tolower(c); }
char32_t ToTitle(char32_t c) { return utf8proc_totitle(c); }

bool IsUpperChar(char32_t c) { return Category(c) == UTF8PROC_CATEGORY_LU; }
bool IsLowerChar(char32_t c) { return Category(c) == UTF8PROC_CATEGORY_LL; }
bool IsTitleChar(char32_t c) { return Category(c) == UTF8PROC_CATEGORY_LT; }

// Full case mappings (Unicode SpecialCasing) that Python applies and the
// simple per-character mapping lacks: one character becomes several.
const char* SpecialUpper(char32_t c) {
  switch (c) {
    case 0xDF:
      return "SS";
    case 0xFB00:
      return "FF";
    case 0xFB01:
      return "FI";
    case 0xFB02:
      return "FL";
    case 0xFB03:
      return "FFI";
    case 0xFB04:
      return "FFL";
    case 0xFB05:
    case 0xFB06:
      return "ST";
    default:
      return nullptr;
  }
}

const char* SpecialTitle(char32_t c) {
  switch (c) {
    case 0xDF:
      return "Ss";
    case 0xFB00:
      return "Ff";
    case 0xFB01:
      return "Fi";
    case 0xFB02:
      return "Fl";
    case 0xFB03:
      return "Ffi";
    case 0xFB04:
      return "Ffl";
    case 0xFB05:
    case 0xFB06:
      return "St";
    default:
      return nullptr;
  }
}

// Appends f(c), where f may map one character to a string (special cases).
template <typename F>
std::string MapCharsFull(std::string_view s, F f) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : Decode(s)) f(c, out);
  return out;
}

template <typename F>
std::string MapChars(std::string_view s, F f) {
  std::string out;
  out.reserve(s.size());
  if (IsAscii(s)) {
    for (char c : s)
      out.push_back(static_cast<char>(f(static_cast<char32_t>(c))));
    return out;
  }
  for (char32_t c : Decode(s)) AppendUtf8(out, f(c));
  return out;
}

// Python's str.splitlines() line boundaries.
bool IsLineBreak(char32_t c) {
  switch (c) {
    case '\n':
    case '\r':
    case 0x0B:
    case 0x0C:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x85:
    case 0x2028:
    case 0x2029:
      return true;
    default:
      return false;
  }
}

bool InSet(char32_t c, const std::u32string& set) {
  return set.find(c) != std::u32string::npos;
}

std::vector<std::string> EncodeAll(const std::vector<std::u32string>& parts) {
  std::vector<std::string> out;
  out.reserve(parts.size());
  for (const auto& p : parts) out.push_back(Encode(p));
  return out;
}

}  // namespace

size_t FindInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    char32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

std::u32string Decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if (c < 0xE0) {
      cp = c & 0x1F;
      len = 2;
    } else if (c < 0xF0) {
      cp = c & 0x0F;
      len = 3;
    } else {
      cp = c & 0x07;
      len = 4;
    }
    for (size_t k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string Encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) AppendUtf8(out, c);
  return out;
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

size_t Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool IsSpace(char32_t c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case 0x0B:
    case 0x0C:
    case '\r':
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x1F:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool IsPrintable(char32_t c) {
  if (c == ' ') return true;
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_ZS:
      return false;
    default:
      return true;
  }
}

bool IsCased(char32_t c) {
  return IsUpperChar(c) || IsLowerChar(c) || IsTitleChar(c);
}

bool IsDigitChar(char32_t c) { return Category(c) == UTF8PROC_CATEGORY_ND; }

bool IsAlphaChar(char32_t c) {
  switch (Category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
      return true;
    default:
      return false;
  }
}

bool IsAlnumChar(char32_t c) {
  const auto cat = Category(c);
  return IsAlphaChar(c) || cat == UTF8PROC_CATEGORY_ND ||
         cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

bool AllOf(std::string_view s, bool (*pred)(char32_t)) {
  if (s.empty()) return false;
  for (char32_t c : Decode(s)) {
    if (!pred(c)) return false;
  }
  return true;
}

std::string Upper(std::string_view s) {
  if (IsAscii(s)) return MapChars(s, ToUpper);
  return MapCharsFull(s, [](char32_t c, std::string& out) {
    if (const char* special = SpecialUpper(c)) {
      out += special;
    } else {
      AppendUtf8(out, ToUpper(c));
    }
  });
}
std::string Lower(std::string_view s) { return MapChars(s, ToLower); }
std::string SwapCase(std::string_view s) {
  return MapChars(s, [](char32_t c) {
    if (IsUpperChar(c)) return ToLower(c);
    if (IsLowerChar(c)) return ToUpper(c);
    return c;
  });
}

void AppendTitle(char32_t c, std::string& out) {
  if (const char* special = SpecialTitle(c)) {
    out += special;
  } else {
    AppendUtf8(out, ToTitle(c));
  }
}

std::string Title(std::string_view s) {
  bool previous_cased = false;
  return MapCharsFull(s, [&previous_cased](char32_t c, std::string& out) {
    if (previous_cased) {
      AppendUtf8(out, ToLower(c));
    } else {
      AppendTitle(c, out);
    }
    previous_cased = IsCased(c);
  });
}

std::string Capitalize(std::string_view s) {
  bool first = true;
  return MapCharsFull(s, [&first](char32_t c, std::string& out) {
    if (first) {
      AppendTitle(c, out);
    } else {
      AppendUtf8(out, ToLower(c));
    }
    first = false;
  });
}

bool IsLower(std::string_view s) {
  bool cased = false;
  for (char32_t c : Decode(s)) {
    if (IsUpperChar(c) || IsTitleChar(c)) return false;
    if (IsLowerChar(c)) cased = true;
  }
  return cased;
}

bool IsUpper(std::string_view s) {
  bool cased = false;
  for (char32_t c : Decode(s)) {
    if (IsLowerChar(c) || IsTitleChar(c)) return false;
    if (IsUpperChar(c)) cased = true;
  }
  return cased;
}

std::string Strip(std::string_view s, const std::optional<std::string>& chars,
                  bool left, bool right) {
  const std::u32string u = Decode(s);
  const std::u32string set = chars ? Decode(*chars) : std::u32string();
  auto strip_it = [&](char32_t c) {
    return chars ? InSet(c, set) : IsSpace(c);
  };
  size_t b = 0;
  size_t e = u.size();
  if (left) {
    while (b < e && strip_it(u[b])) ++b;
  }
  if (right) {
    while (e > b && strip_it(u[e - 1])) --e;
  }
  return Encode(std::u32string_view(u).substr(b, e - b));
}

std::vector<std::string> Split(std::string_view s,
                               const std::optional<std::string>& sep,
                               int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    size_t pos = 0;
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      const size_t hit = s.find(*sep, pos);
      if (hit == std::string_view::npos) break;
      out.emplace_back(s.substr(pos, hit - pos));
      pos = hit + sep->size();
    }
    out.emplace_back(s.substr(pos));
    return out;
  }
  const std::u32string u = Decode(s);
  std::vector<std::u32string> parts;
  size_t i = 0;
  while (true) {
    while (i < u.size() && IsSpace(u[i])) ++i;
    if (i == u.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
      parts.push_back(u.substr(i));
      break;
    }
    size_t j = i;
    while (j < u.size() && !IsSpace(u[j])) ++j;
    parts.push_back(u.substr(i, j - i));
    i = j;
  }
  return EncodeAll(parts);
}

std::vector<std::string> RSplit(std::string_view s,
                                const std::optional<std::string>& sep,
                                int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    size_t end = s.size();
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      if (end < sep->size()) break;
      const size_t hit = s.rfind(*sep, end - sep->size());
      if (hit == std::string_view::npos) break;
      out.emplace_back(s.substr(hit + sep->size(), end - hit - sep->size()));
      end = hit;
    }
    out.emplace_back(s.substr(0, end));
    std::reverse(out.begin(), out.end());
    return out;
  }
  const std::u32string u = Decode(s);
  std::vector<std::u32string> parts;
  size_t i = u.size();
  while (true) {
    while (i > 0 && IsSpace(u[i - 1])) --i;
    if (i == 0) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
      parts.push_back(u.substr(0, i));
      break;
    }
    size_t j = i;
    while (j > 0 && !IsSpace(u[j - 1])) --j;
    parts.push_back(u.substr(j, i - j));
    i = j;
  }
  std::reverse(parts.begin(), parts.end());
  return EncodeAll(parts);
}

std::vector<std::string> SplitLines(std::string_view s, bool keepends) {
  const std::u32string u = Decode(s);
  std::vector<std::u32string> parts;
  size_t start = 0;
  size_t i = 0;
  while (i < u.size()) {
    if (!IsLineBreak(u[i])) {
      ++i;
      continue;
    }
    size_t eol = i + 1;
    if (u[i] == '\r' && eol < u.size() && u[eol] == '\n') ++eol;
    parts.push_back(u.substr(start, (keepends ? eol : i) - start));
    start = i = eol;
  }
  if (start < u.size()) parts.push_back(u.substr(start));
  return EncodeAll(parts);
}

std::string Replace(std::string_view s, std::string_view old_sub,
                    std::string_view new_sub, int64_t count) {
  std::string out;
  if (old_sub.empty()) {
    // Python inserts `new` before every character and at the end.
    const std::u32string u = Decode(s);
    int64_t done = 0;
    for (char32_t c : u) {
      if (count < 0 || done < count) {
        out.append(new_sub);
        ++done;
      }
      AppendUtf8(out, c);
    }
    if (count < 0 || done < count) out.append(new_sub);
    return out;
  }
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    const size_t hit = s.find(old_sub, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(new_sub);
    pos = hit + old_sub.size();
    ++done;
  }
  out.append(s.substr(pos));
  return out;
}

int64_t Find(std::string_view s, std::string_view sub, int64_t start,
             int64_t end, bool reverse) {
  const std::u32string u = Decode(s);
  const std::u32string needle = Decode(sub);
  const auto n = static_cast<int64_t>(u.size());
  const auto m = static_cast<int64_t>(needle.size());
  if (end > n) end = n;
  if (start < 0) start = 0;
  if (end - start < m) return -1;
  const std::u32string_view hay =
      std::u32string_view(u).substr(start, end - start);
  const size_t hit = reverse ? hay.rfind(needle) : hay.find(needle);
  if (hit == std::u32string_view::npos) return -1;
  return start + static_cast<int64_t>(hit);
}

int64_t Count(std::string_view s, std::string_view sub, int64_t start,
              int64_t end) {
  const std::u32string u = Decode(s);
  const std::u32string needle = Decode(sub);
  const auto n = static_cast<int64_t>(u.size());
  if (end > n) end = n;
  if (start < 0) start = 0;
  if (start > n || end < start) return 0;
  if (needle.empty()) return end - start + 1;
  int64_t count = 0;
  size_t pos = static_cast<size_t>(start);
  while (true) {
    const size_t hit = u.find(needle, pos);
    if (hit == std::u32string::npos ||
        static_cast<int64_t>(hit + needle.size()) > end) {
      break;
    }
    ++count;
    pos = hit + needle.size();
  }
  return count;
}

std::string StringRepr(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back(quote);
  for (char32_t c : Decode(s)) {
    char buf[16];
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else if (c < 0x7F || IsPrintable(c)) {
      AppendUtf8(out, c);
    } else if (c < 0x100) {
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned>(c));
      out += buf;
    } else if (c < 0x10000) {
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      std::snprintf(buf, sizeof(buf), "\\U%08x", static_cast<unsigned>(c));
      out += buf;
    }
  }
  out.push_back(quote);
  return out;
}

std::string FloatRepr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  // Shortest round-trip digits, then Python's layout (float_repr_style
  // 'short'): positional when -4 <= exponent < 16, else d.ddde+XX.
  char buf[64];
  const auto res =
      std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string sign;
  if (!sci.empty() && sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const size_t e_pos = sci.find('e');
  std::string digits = sci.substr(0, e_pos);
  const int exponent = std::atoi(sci.c_str() + e_pos + 1);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int decpt = exponent + 1;  // value = 0.DIGITS * 10^decpt
  std::string out = sign;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0." + std::string(-decpt, '0') + digits;
    } else if (static_cast<size_t>(decpt) >= digits.size()) {
      out += digits + std::string(decpt - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, decpt) + "." + digits.substr(decpt);
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  std::snprintf(buf, sizeof(buf), "e%c%02d", exponent < 0 ? '-' : '+',
                std::abs(exponent));
  out += buf;
  return out;
}

}  // namespace edgellm::chat::jinja::py
