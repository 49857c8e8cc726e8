// Python methods of str, dict, list and tuple values, as the immutable
// sandbox exposes them (mutating dict methods and most list ones are
// refused; list.pop and list.clear are not in Jinja2's refusal list).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "runtime/chat/jinja/builtins.h"
#include "runtime/chat/jinja/error.h"
#include "runtime/chat/jinja/interpreter.h"
#include "runtime/chat/jinja/objects.h"
#include "runtime/chat/jinja/operators.h"
#include "runtime/chat/jinja/py_str.h"
#include "runtime/chat/jinja/str_cat.h"
#include "util/status_macros.h"

namespace edgellm::chat::jinja {
namespace {

using Result = absl::StatusOr<Value>;

absl::Status TypeError(std::string_view message) {
  return MakeError(ErrorType::kTypeError, message);
}

// An optional str argument (None = absent), as strip()/split() take it.
absl::StatusOr<std::optional<std::string>> OptionalString(
    const std::optional<Value>& v, std::string_view what) {
  if (!v || v->is_none()) return std::optional<std::string>();
  if (!v->is_string()) {
    return TypeError(Cat(what, " arg must be None or str"));
  }
  return std::optional<std::string>(v->str());
}

absl::StatusOr<int64_t> IntArg(const std::optional<Value>& v,
                               int64_t fallback) {
  if (!v || v->is_none()) return fallback;
  if (!v->is_integral()) {
    return TypeError(Cat("'", v->TypeName(),
                         "' object cannot be interpreted as an integer"));
  }
  return v->int_value();
}

Value StringList(std::vector<std::string> parts) {
  std::vector<Value> items;
  items.reserve(parts.size());
  for (auto& p : parts) items.push_back(Value::String(std::move(p)));
  return Value::List(std::move(items));
}

// Python's start/end arguments of find/count/startswith, clamped.
absl::Status Bounds(const ArgReader& r, size_t first, int64_t len,
                    int64_t& start, int64_t& end) {
  EDGELLM_ASSIGN_OR_RETURN(start, IntArg(r.Get(first), 0));
  EDGELLM_ASSIGN_OR_RETURN(end, IntArg(r.Get(first + 1), len));
  if (start < 0) start = std::max<int64_t>(0, start + len);
  if (end < 0) end = std::max<int64_t>(0, end + len);
  end = std::min(end, len);
  return absl::OkStatus();
}

// ---- str ----

Result StrStrip(const Value& self, const CallArgs& args, const char* name,
                bool left, bool right) {
  ArgReader r(args, name, {"chars"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  EDGELLM_ASSIGN_OR_RETURN(auto chars, OptionalString(r.Get(0), name));
  return Value::String(py::Strip(self.str(), chars, left, right));
}
Result Strip(Interpreter&, const Value& s, const CallArgs& a) {
  return StrStrip(s, a, "strip", true, true);
}
Result LStrip(Interpreter&, const Value& s, const CallArgs& a) {
  return StrStrip(s, a, "lstrip", true, false);
}
Result RStrip(Interpreter&, const Value& s, const CallArgs& a) {
  return StrStrip(s, a, "rstrip", false, true);
}

Result StrSplit(const Value& self, const CallArgs& args, bool reverse) {
  ArgReader r(args, reverse ? "rsplit" : "split", {"sep", "maxsplit"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  EDGELLM_ASSIGN_OR_RETURN(auto sep,
                           OptionalString(r.Get(0), "must be str or None;"));
  if (sep && sep->empty()) {
    return MakeError(ErrorType::kValueError, "empty separator");
  }
  EDGELLM_ASSIGN_OR_RETURN(int64_t maxsplit, IntArg(r.Get(1), -1));
  return StringList(reverse ? py::RSplit(self.str(), sep, maxsplit)
                            : py::Split(self.str(), sep, maxsplit));
}
Result Split(Interpreter&, const Value& s, const CallArgs& a) {
  return StrSplit(s, a, false);
}
Result RSplitM(Interpreter&, const Value& s, const CallArgs& a) {
  return StrSplit(s, a, true);
}

Result SplitLinesM(Interpreter&, const Value& s, const CallArgs& args) {
  ArgReader r(args, "splitlines", {"keepends"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  return StringList(
      py::SplitLines(s.str(), Truthy(r.GetOr(0, Value::Bool(false)))));
}

Result StartsEnds(const Value& self, const CallArgs& args, bool ends) {
  const char* name = ends ? "endswith" : "startswith";
  ArgReader r(args, name, {"prefix", "start", "end"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  std::optional<Value> what = r.Get(0);
  if (!what)
    return TypeError(Cat(name, "() takes at least 1 argument (0 given)"));
  std::vector<Value> options;
  if (what->is_tuple()) {
    options = what->items();
  } else {
    options.push_back(*what);
  }
  const std::u32string u = py::Decode(self.str());
  int64_t start, end;
  EDGELLM_RETURN_IF_ERROR(Bounds(r, 1, u.size(), start, end));
  for (const Value& o : options) {
    if (!o.is_string()) {
      return TypeError(Cat(name,
                           " first arg must be str or a tuple of str, not ",
                           o.TypeName()));
    }
    const std::u32string p = py::Decode(o.str());
    if (end - start < static_cast<int64_t>(p.size())) continue;
    const size_t at = ends ? end - p.size() : start;
    if (u.compare(at, p.size(), p) == 0) return Value::Bool(true);
  }
  return Value::Bool(false);
}
Result StartsWith(Interpreter&, const Value& s, const CallArgs& a) {
  return StartsEnds(s, a, false);
}
Result EndsWith(Interpreter&, const Value& s, const CallArgs& a) {
  return StartsEnds(s, a, true);
}

Result Case(const Value& self, const CallArgs& args, const char* name,
            std::string (*f)(std::string_view)) {
  ArgReader r(args, name, {});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  return Value::String(f(self.str()));
}
Result UpperM(Interpreter&, const Value& s, const CallArgs& a) {
  return Case(s, a, "upper", py::Upper);
}
Result LowerM(Interpreter&, const Value& s, const CallArgs& a) {
  return Case(s, a, "lower", py::Lower);
}
Result TitleM(Interpreter&, const Value& s, const CallArgs& a) {
  return Case(s, a, "title", py::Title);
}
Result CapitalizeM(Interpreter&, const Value& s, const CallArgs& a) {
  return Case(s, a, "capitalize", py::Capitalize);
}
Result SwapCaseM(Interpreter&, const Value& s, const CallArgs& a) {
  return Case(s, a, "swapcase", py::SwapCase);
}

Result Predicate(const Value& self, const CallArgs& args,
                 bool (*pred)(char32_t)) {
  ArgReader r(args, "is", {});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  return Value::Bool(py::AllOf(self.str(), pred));
}
Result IsDigitM(Interpreter&, const Value& s, const CallArgs& a) {
  return Predicate(s, a, py::IsDigitChar);
}
Result IsAlphaM(Interpreter&, const Value& s, const CallArgs& a) {
  return Predicate(s, a, py::IsAlphaChar);
}
Result IsAlnumM(Interpreter&, const Value& s, const CallArgs& a) {
  return Predicate(s, a, py::IsAlnumChar);
}
Result IsSpaceM(Interpreter&, const Value& s, const CallArgs& a) {
  return Predicate(s, a, py::IsSpace);
}
Result IsLowerM(Interpreter&, const Value& s, const CallArgs&) {
  return Value::Bool(py::IsLower(s.str()));
}
Result IsUpperM(Interpreter&, const Value& s, const CallArgs&) {
  return Value::Bool(py::IsUpper(s.str()));
}
Result IsAsciiM(Interpreter&, const Value& s, const CallArgs&) {
  return Value::Bool(py::IsAscii(s.str()));
}

Result ReplaceM(Interpreter&, const Value& self, const CallArgs& args) {
  ArgReader r(args, "replace", {"old", "new", "count"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  auto old_sub = r.Get(0);
  auto new_sub = r.Get(1);
  if (!old_sub || !new_sub)
    return TypeError("replace expected at least 2 arguments");
  if (!old_sub->is_string() || !new_sub->is_string()) {
    return TypeError(
        Cat("replace() argument 1 must be str, not ",
            (!old_sub->is_string() ? *old_sub : *new_sub).TypeName()));
  }
  EDGELLM_ASSIGN_OR_RETURN(int64_t count, IntArg(r.Get(2), -1));
  return Value::String(
      py::Replace(self.str(), old_sub->str(), new_sub->str(), count));
}

Result FindLike(const Value& self, const CallArgs& args, const char* name,
                bool reverse, bool raise) {
  ArgReader r(args, name, {"sub", "start", "end"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  auto sub = r.Get(0);
  if (!sub || !sub->is_string()) {
    return TypeError(
        Cat("must be str, not ", sub ? sub->TypeName() : "nothing"));
  }
  int64_t start, end;
  EDGELLM_RETURN_IF_ERROR(Bounds(r, 1, py::Length(self.str()), start, end));
  const int64_t at = py::Find(self.str(), sub->str(), start, end, reverse);
  if (at < 0 && raise)
    return MakeError(ErrorType::kValueError, "substring not found");
  return Value::Int(at);
}
Result FindM(Interpreter&, const Value& s, const CallArgs& a) {
  return FindLike(s, a, "find", false, false);
}
Result RFindM(Interpreter&, const Value& s, const CallArgs& a) {
  return FindLike(s, a, "rfind", true, false);
}
Result IndexM(Interpreter&, const Value& s, const CallArgs& a) {
  return FindLike(s, a, "index", false, true);
}
Result RIndexM(Interpreter&, const Value& s, const CallArgs& a) {
  return FindLike(s, a, "rindex", true, true);
}

Result CountM(Interpreter&, const Value& self, const CallArgs& args) {
  ArgReader r(args, "count", {"sub", "start", "end"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  auto sub = r.Get(0);
  if (!sub || !sub->is_string()) return TypeError("must be str");
  int64_t start, end;
  EDGELLM_RETURN_IF_ERROR(Bounds(r, 1, py::Length(self.str()), start, end));
  return Value::Int(py::Count(self.str(), sub->str(), start, end));
}

Result JoinM(Interpreter& in, const Value& self, const CallArgs& args) {
  ArgReader r(args, "join", {"iterable"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  auto seq = r.Get(0);
  if (!seq) return TypeError("str.join() takes exactly one argument (0 given)");
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, in.Iterate(*seq));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      return TypeError(Cat("sequence item ", i, ": expected str instance, ",
                           items[i].TypeName(), " found"));
    }
    if (i > 0) out += self.str();
    out += items[i].str();
    if (out.size() > in.max_bytes()) {
      return MakeError(ErrorType::kLimitExceeded,
                       "string larger than the output limit");
    }
  }
  return Value::String(std::move(out));
}

Result Justify(const Value& self, const CallArgs& args, const char* name,
               char mode) {
  ArgReader r(args, name, {"width", "fillchar"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  EDGELLM_ASSIGN_OR_RETURN(int64_t width, IntArg(r.Get(0), 0));
  std::string fill = " ";
  if (auto f = r.Get(1)) {
    if (!f->is_string() || py::Length(f->str()) != 1) {
      return TypeError("The fill character must be exactly one character long");
    }
    fill = f->str();
  }
  const int64_t len = py::Length(self.str());
  if (width <= len) return self;
  width = std::min<int64_t>(width, 1 << 24);
  const int64_t marg = width - len;
  int64_t left = 0;
  if (mode == 'c') left = marg / 2 + (marg & width & 1);
  if (mode == 'r') left = marg;
  std::string out;
  for (int64_t i = 0; i < left; ++i) out += fill;
  out += self.str();
  for (int64_t i = 0; i < marg - left; ++i) out += fill;
  return Value::String(std::move(out));
}
Result CenterM(Interpreter&, const Value& s, const CallArgs& a) {
  return Justify(s, a, "center", 'c');
}
Result LJustM(Interpreter&, const Value& s, const CallArgs& a) {
  return Justify(s, a, "ljust", 'l');
}
Result RJustM(Interpreter&, const Value& s, const CallArgs& a) {
  return Justify(s, a, "rjust", 'r');
}

Result ZFillM(Interpreter&, const Value& self, const CallArgs& args) {
  ArgReader r(args, "zfill", {"width"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  EDGELLM_ASSIGN_OR_RETURN(int64_t width, IntArg(r.Get(0), 0));
  const std::string& s = self.str();
  const int64_t len = py::Length(s);
  if (width <= len) return self;
  width = std::min<int64_t>(width, 1 << 24);
  const size_t sign = !s.empty() && (s[0] == '+' || s[0] == '-') ? 1 : 0;
  return Value::String(s.substr(0, sign) + std::string(width - len, '0') +
                       s.substr(sign));
}

Result Partition(const Value& self, const CallArgs& args, bool reverse) {
  ArgReader r(args, reverse ? "rpartition" : "partition", {"sep"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  auto sep = r.Get(0);
  if (!sep || !sep->is_string()) return TypeError("must be str");
  if (sep->str().empty())
    return MakeError(ErrorType::kValueError, "empty separator");
  const std::string& s = self.str();
  const size_t at = reverse ? s.rfind(sep->str()) : s.find(sep->str());
  if (at == std::string::npos) {
    if (reverse) {
      return Value::Tuple({Value::String(""), Value::String(""), self});
    }
    return Value::Tuple({self, Value::String(""), Value::String("")});
  }
  return Value::Tuple({Value::String(s.substr(0, at)), *sep,
                       Value::String(s.substr(at + sep->str().size()))});
}
Result PartitionM(Interpreter&, const Value& s, const CallArgs& a) {
  return Partition(s, a, false);
}
Result RPartitionM(Interpreter&, const Value& s, const CallArgs& a) {
  return Partition(s, a, true);
}

Result RemoveAffix(const Value& self, const CallArgs& args, bool prefix) {
  ArgReader r(args, prefix ? "removeprefix" : "removesuffix", {"affix"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  auto a = r.Get(0);
  if (!a || !a->is_string()) return TypeError("must be str");
  const std::string& s = self.str();
  const std::string& x = a->str();
  if (prefix && s.compare(0, x.size(), x) == 0)
    return Value::String(s.substr(x.size()));
  if (!prefix && s.size() >= x.size() &&
      s.compare(s.size() - x.size(), x.size(), x) == 0) {
    return Value::String(s.substr(0, s.size() - x.size()));
  }
  return self;
}
Result RemovePrefixM(Interpreter&, const Value& s, const CallArgs& a) {
  return RemoveAffix(s, a, true);
}
Result RemoveSuffixM(Interpreter&, const Value& s, const CallArgs& a) {
  return RemoveAffix(s, a, false);
}

// ---- str.format (through the sandbox's getattr/getitem) ----

struct FormatSpec {
  std::string fill = " ";
  char align = 0;
  char sign = '-';
  bool alt = false;
  bool zero = false;
  int64_t width = -1;
  char grouping = 0;
  int64_t precision = -1;
  char type = 0;
};

absl::StatusOr<FormatSpec> ParseSpec(std::string_view spec) {
  FormatSpec f;
  size_t i = 0;
  auto is_align = [](char c) {
    return c == '<' || c == '>' || c == '^' || c == '=';
  };
  const std::u32string u = py::Decode(spec);
  if (u.size() >= 2 && u[1] < 0x80 && is_align(static_cast<char>(u[1]))) {
    f.fill = py::Encode(u.substr(0, 1));
    std::string rest = py::Encode(u.substr(1));
    f.align = rest[0];
    spec = spec.substr(spec.size() - rest.size() + 1);
  } else if (!spec.empty() && is_align(spec[0])) {
    f.align = spec[0];
    spec.remove_prefix(1);
  }
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' '))
    f.sign = spec[i++];
  if (i < spec.size() && spec[i] == '#') {
    f.alt = true;
    ++i;
  }
  if (i < spec.size() && spec[i] == '0') {
    f.zero = true;
    ++i;
  }
  auto number = [&](int64_t& out) {
    if (i >= spec.size() || spec[i] < '0' || spec[i] > '9') return;
    out = 0;
    while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
      out = std::min<int64_t>(out * 10 + (spec[i++] - '0'), 1 << 20);
    }
  };
  number(f.width);
  if (i < spec.size() && (spec[i] == ',' || spec[i] == '_'))
    f.grouping = spec[i++];
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    number(f.precision);
    if (f.precision < 0)
      return MakeError(ErrorType::kValueError,
                       "Format specifier missing precision");
  }
  if (i < spec.size()) f.type = spec[i++];
  if (i != spec.size())
    return MakeError(ErrorType::kValueError, "Invalid format specifier");
  return f;
}

std::string Group(std::string digits, char sep) {
  if (!sep) return digits;
  std::string out;
  const size_t n = digits.size();
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out.push_back(sep);
    out.push_back(digits[i]);
  }
  return out;
}

std::string Align(std::string sign, std::string body, const FormatSpec& f,
                  char default_align) {
  char align = f.align ? f.align : (f.zero ? '=' : default_align);
  std::string fill = f.align ? f.fill : (f.zero ? "0" : " ");
  const int64_t len = py::Length(sign) + py::Length(body);
  if (f.width <= len) return sign + body;
  const int64_t pad = f.width - len;
  std::string p;
  auto pads = [&](int64_t n) {
    std::string s;
    for (int64_t k = 0; k < n; ++k) s += fill;
    return s;
  };
  switch (align) {
    case '<':
      return sign + body + pads(pad);
    case '^':
      return pads(pad / 2) + sign + body + pads(pad - pad / 2);
    case '=':
      return sign + pads(pad) + body;
    default:
      return pads(pad) + sign + body;
  }
}

absl::StatusOr<std::string> FormatValue(const Value& v,
                                        std::string_view spec_text) {
  if (spec_text.empty()) return Str(v);
  EDGELLM_ASSIGN_OR_RETURN(FormatSpec f, ParseSpec(spec_text));
  if (v.is_string()) {
    if (f.type != 0 && f.type != 's') {
      return MakeError(ErrorType::kValueError,
                       Cat("Unknown format code '", std::string(1, f.type),
                           "' for object of type 'str'"));
    }
    std::string s = v.str();
    if (f.precision >= 0) {
      std::u32string u = py::Decode(s);
      if (static_cast<int64_t>(u.size()) > f.precision) u.resize(f.precision);
      s = py::Encode(u);
    }
    return Align("", s, f, '<');
  }
  if (!v.is_number()) {
    return TypeError(Cat("unsupported format string passed to ", v.TypeName(),
                         ".__format__"));
  }
  const bool as_int =
      v.is_integral() &&
      (f.type == 0 || f.type == 'd' || f.type == 'b' || f.type == 'o' ||
       f.type == 'x' || f.type == 'X' || f.type == 'n' || f.type == 'c');
  char buf[512];
  if (as_int) {
    const int64_t n = v.int_value();
    const uint64_t mag =
        n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
    std::string digits;
    if (f.type == 'b') {
      if (mag == 0) digits = "0";
      for (uint64_t m = mag; m > 0; m >>= 1)
        digits.insert(digits.begin(), '0' + (m & 1));
    } else {
      const char* fmt = f.type == 'x'   ? "%llx"
                        : f.type == 'X' ? "%llX"
                        : f.type == 'o' ? "%llo"
                                        : "%llu";
      std::snprintf(buf, sizeof(buf), fmt,
                    static_cast<unsigned long long>(mag));
      digits = buf;
    }
    digits = Group(digits, f.grouping);
    if (f.alt &&
        (f.type == 'b' || f.type == 'o' || f.type == 'x' || f.type == 'X')) {
      digits = std::string("0") + f.type + digits;
    }
    std::string sign = n < 0           ? "-"
                       : f.sign == '+' ? "+"
                       : f.sign == ' ' ? " "
                                       : "";
    return Align(sign, digits, f, '>');
  }
  const double d = v.float_value();
  std::string body;
  const char type = f.type == 0 ? 'g' : f.type;
  if (type == '%') {
    std::snprintf(buf, sizeof(buf), "%.*f",
                  static_cast<int>(f.precision < 0 ? 6 : f.precision),
                  std::fabs(d) * 100);
    body = std::string(buf) + "%";
  } else if (f.type == 0 && f.precision < 0) {
    body = py::FloatRepr(std::fabs(d));
  } else if (type == 'f' || type == 'F' || type == 'e' || type == 'E' ||
             type == 'g' || type == 'G' || type == 'n') {
    const int p = static_cast<int>(
        f.precision < 0 ? 6 : std::min<int64_t>(f.precision, 100));
    const char t = type == 'n' ? 'g' : type;
    std::string fmt = Cat("%", f.alt ? "#" : "", ".", p, std::string(1, t));
    std::snprintf(buf, sizeof(buf), fmt.c_str(), std::fabs(d));
    body = buf;
    if (f.type == 0 && body.find_first_of(".einf") == std::string::npos)
      body += ".0";
  } else {
    return MakeError(ErrorType::kValueError,
                     Cat("Unknown format code '", std::string(1, f.type),
                         "' for object of type '", v.TypeName(), "'"));
  }
  if (f.grouping) {
    const size_t dot = body.find_first_not_of("0123456789");
    body = Group(body.substr(0, dot), f.grouping) +
           (dot == std::string::npos ? "" : body.substr(dot));
  }
  std::string sign = std::signbit(d) && !std::isnan(d) ? "-"
                     : f.sign == '+'                   ? "+"
                     : f.sign == ' '                   ? " "
                                                       : "";
  return Align(sign, body, f, '>');
}

Result FormatM(Interpreter& in, const Value& self, const CallArgs& args) {
  const std::string& fmt = self.str();
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    const char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out.push_back('}');
        ++i;
        continue;
      }
      return MakeError(ErrorType::kValueError,
                       "Single '}' encountered in format string");
    }
    if (c != '{') {
      out.push_back(c);
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out.push_back('{');
      ++i;
      continue;
    }
    size_t close = fmt.find('}', i);
    if (close == std::string::npos) {
      return MakeError(ErrorType::kValueError,
                       "Single '{' encountered in format string");
    }
    std::string field = fmt.substr(i + 1, close - i - 1);
    i = close;
    std::string spec;
    char conversion = 0;
    if (size_t colon = field.find(':'); colon != std::string::npos) {
      spec = field.substr(colon + 1);
      field.resize(colon);
    }
    if (size_t bang = field.find('!'); bang != std::string::npos) {
      if (bang + 2 != field.size()) {
        return MakeError(ErrorType::kValueError,
                         "expected ':' after conversion specifier");
      }
      conversion = field[bang + 1];
      field.resize(bang);
    }
    // First part: index or name; then .attr and [key] parts.
    size_t end = field.find_first_of(".[");
    const std::string first = field.substr(0, end);
    Value v;
    if (first.empty()) {
      if (auto_index >= args.positional.size()) {
        return MakeError(ErrorType::kValueError,
                         Cat("Replacement index ", auto_index,
                             " out of range for positional args tuple"));
      }
      v = args.positional[auto_index++];
    } else if (std::all_of(first.begin(), first.end(), ::isdigit)) {
      const size_t idx = std::stoul(first.substr(0, 9));
      if (idx >= args.positional.size()) {
        return MakeError(ErrorType::kValueError,
                         Cat("Replacement index ", idx,
                             " out of range for positional args tuple"));
      }
      v = args.positional[idx];
    } else {
      bool found = false;
      for (const auto& [k, val] : args.keywords) {
        if (k == first) {
          v = val;
          found = true;
        }
      }
      if (!found)
        return MakeError(ErrorType::kValueError,
                         Cat("KeyError: '", first, "'"));
    }
    while (end != std::string::npos && end < field.size()) {
      if (field[end] == '.') {
        const size_t next = field.find_first_of(".[", end + 1);
        EDGELLM_ASSIGN_OR_RETURN(
            v, in.GetAttr(v, field.substr(end + 1, next - end - 1)));
        end = next;
      } else {
        const size_t rb = field.find(']', end);
        if (rb == std::string::npos)
          return MakeError(ErrorType::kValueError,
                           "Missing ']' in format string");
        const std::string key = field.substr(end + 1, rb - end - 1);
        const Value k =
            !key.empty() && std::all_of(key.begin(), key.end(), ::isdigit)
                ? Value::Int(std::stoll(key.substr(0, 18)))
                : Value::String(key);
        EDGELLM_ASSIGN_OR_RETURN(v, in.GetItem(v, k));
        end = rb + 1;
      }
    }
    if (conversion == 'r' || conversion == 'a') v = Value::String(Repr(v));
    if (conversion == 's') v = Value::String(Str(v));
    EDGELLM_ASSIGN_OR_RETURN(std::string piece, FormatValue(v, spec));
    out += piece;
    if (out.size() > in.max_bytes()) {
      return MakeError(ErrorType::kLimitExceeded,
                       "string larger than the output limit");
    }
  }
  return Value::String(std::move(out));
}

Result NotSupported(Interpreter&, const Value& self, const CallArgs&) {
  return MakeError(ErrorType::kTemplateRuntimeError,
                   Cat("this method of '", self.TypeName(),
                       "' is not supported by this renderer"));
}

// ---- dict ----

Result DictGet(Interpreter&, const Value& self, const CallArgs& args) {
  ArgReader r(args, "get", {"key", "default"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  auto key = r.Get(0);
  if (!key) return TypeError("get expected at least 1 argument, got 0");
  if (const Value* v = self.dict().Find(*key)) return *v;
  return r.GetOr(1, Value::None());
}

Result DictView(const Value& self, const CallArgs& args, int which) {
  static const char* kNames[] = {"dict_items", "dict_keys", "dict_values"};
  ArgReader r(args, kNames[which], {});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  std::vector<Value> items;
  for (const auto& [k, v] : self.dict().entries()) {
    items.push_back(which == 0 ? Value::Tuple({k, v}) : which == 1 ? k : v);
  }
  return Value::FromObject(std::make_shared<Iterator>(
      std::move(items), kNames[which], /*reusable=*/true));
}
Result DictItems(Interpreter&, const Value& s, const CallArgs& a) {
  return DictView(s, a, 0);
}
Result DictKeys(Interpreter&, const Value& s, const CallArgs& a) {
  return DictView(s, a, 1);
}
Result DictValues(Interpreter&, const Value& s, const CallArgs& a) {
  return DictView(s, a, 2);
}
Result DictCopy(Interpreter&, const Value& self, const CallArgs&) {
  return Value::FromDict(self.dict());
}

// ---- list / tuple ----

Result SeqCount(Interpreter&, const Value& self, const CallArgs& args) {
  ArgReader r(args, "count", {"value"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  const Value x = r.GetOr(0, Value());
  int64_t n = 0;
  for (const Value& v : self.items()) n += Equals(v, x);
  return Value::Int(n);
}

Result SeqIndex(Interpreter&, const Value& self, const CallArgs& args) {
  ArgReader r(args, "index", {"value", "start", "stop"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  const Value x = r.GetOr(0, Value());
  int64_t start, end;
  EDGELLM_RETURN_IF_ERROR(Bounds(r, 1, self.items().size(), start, end));
  for (int64_t i = start; i < end; ++i) {
    if (Equals(self.items()[i], x)) return Value::Int(i);
  }
  return MakeError(ErrorType::kValueError,
                   Cat(Repr(x), " is not in ", self.TypeName()));
}

Result ListCopy(Interpreter&, const Value& self, const CallArgs&) {
  return Value::List(self.items());
}

Result ListPop(Interpreter&, const Value& self, const CallArgs& args) {
  ArgReader r(args, "pop", {"index"});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  std::vector<Value>& items = self.mutable_items();
  if (items.empty())
    return MakeError(ErrorType::kValueError, "IndexError: pop from empty list");
  EDGELLM_ASSIGN_OR_RETURN(int64_t i, IntArg(r.Get(0), -1));
  if (i < 0) i += static_cast<int64_t>(items.size());
  if (i < 0 || i >= static_cast<int64_t>(items.size())) {
    return MakeError(ErrorType::kValueError,
                     "IndexError: pop index out of range");
  }
  Value v = std::move(items[i]);
  items.erase(items.begin() + i);
  return v;
}

Result ListClear(Interpreter&, const Value& self, const CallArgs& args) {
  ArgReader r(args, "clear", {});
  EDGELLM_RETURN_IF_ERROR(r.Check());
  self.mutable_items().clear();
  return Value::None();
}

// ---- numbers ----

Result FloatIsInteger(Interpreter&, const Value& self, const CallArgs&) {
  const double d = self.float_value();
  return Value::Bool(std::isfinite(d) && d == std::floor(d));
}

struct MethodEntry {
  std::string_view name;
  MethodFn fn;  // nullptr: refused by the sandbox
};

constexpr MethodEntry kStrMethods[] = {
    {"capitalize", CapitalizeM},
    {"casefold", LowerM},
    {"center", CenterM},
    {"count", CountM},
    {"encode", NotSupported},
    {"endswith", EndsWith},
    {"expandtabs", NotSupported},
    {"find", FindM},
    {"format", FormatM},
    {"format_map", NotSupported},
    {"index", IndexM},
    {"isalnum", IsAlnumM},
    {"isalpha", IsAlphaM},
    {"isascii", IsAsciiM},
    {"isdecimal", IsDigitM},
    {"isdigit", IsDigitM},
    {"isidentifier", NotSupported},
    {"islower", IsLowerM},
    {"isnumeric", IsDigitM},
    {"isprintable", NotSupported},
    {"isspace", IsSpaceM},
    {"istitle", NotSupported},
    {"isupper", IsUpperM},
    {"join", JoinM},
    {"ljust", LJustM},
    {"lower", LowerM},
    {"lstrip", LStrip},
    {"maketrans", NotSupported},
    {"partition", PartitionM},
    {"removeprefix", RemovePrefixM},
    {"removesuffix", RemoveSuffixM},
    {"replace", ReplaceM},
    {"rfind", RFindM},
    {"rindex", RIndexM},
    {"rjust", RJustM},
    {"rpartition", RPartitionM},
    {"rsplit", RSplitM},
    {"rstrip", RStrip},
    {"split", Split},
    {"splitlines", SplitLinesM},
    {"startswith", StartsWith},
    {"strip", Strip},
    {"swapcase", SwapCaseM},
    {"title", TitleM},
    {"translate", NotSupported},
    {"upper", UpperM},
    {"zfill", ZFillM},
};

constexpr MethodEntry kDictMethods[] = {
    {"clear", nullptr},  {"copy", DictCopy},     {"fromkeys", NotSupported},
    {"get", DictGet},    {"items", DictItems},   {"keys", DictKeys},
    {"pop", nullptr},    {"popitem", nullptr},   {"setdefault", nullptr},
    {"update", nullptr}, {"values", DictValues},
};

constexpr MethodEntry kListMethods[] = {
    {"append", nullptr},  {"clear", ListClear}, {"copy", ListCopy},
    {"count", SeqCount},  {"extend", nullptr},  {"index", SeqIndex},
    {"insert", nullptr},  {"pop", ListPop},     {"remove", nullptr},
    {"reverse", nullptr}, {"sort", nullptr},
};

constexpr MethodEntry kTupleMethods[] = {{"count", SeqCount},
                                         {"index", SeqIndex}};

template <size_t N>
std::optional<Value> Lookup(const MethodEntry (&table)[N], const Value& self,
                            std::string_view name) {
  for (const MethodEntry& m : table) {
    if (m.name != name) continue;
    if (m.fn == nullptr) {
      return Value::Undefined(Cat("access to attribute '", name, "' of '",
                                  self.TypeName(), "' object is unsafe."),
                              /*security=*/true);
    }
    return Value::FromObject(std::make_shared<BoundMethod>(self, m.fn, m.name));
  }
  return std::nullopt;
}

}  // namespace

std::optional<Value> BuiltinAttribute(const Value& self,
                                      std::string_view name) {
  switch (self.kind()) {
    case Value::Kind::kString:
      return Lookup(kStrMethods, self, name);
    case Value::Kind::kDict:
      return Lookup(kDictMethods, self, name);
    case Value::Kind::kList:
      return Lookup(kListMethods, self, name);
    case Value::Kind::kTuple:
      return Lookup(kTupleMethods, self, name);
    case Value::Kind::kInt:
    case Value::Kind::kBool:
    case Value::Kind::kFloat:
      if (name == "real")
        return self.is_float() ? self : Value::Int(self.int_value());
      if (name == "imag")
        return self.is_float() ? Value::Float(0) : Value::Int(0);
      if (name == "is_integer" && self.is_float()) {
        return Value::FromObject(
            std::make_shared<BoundMethod>(self, FloatIsInteger, "is_integer"));
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

ArgReader::ArgReader(const CallArgs& args, std::string_view function,
                     std::vector<std::string_view> names)
    : args_(args), function_(function), names_(std::move(names)) {}

absl::Status ArgReader::Check() const {
  if (args_.positional.size() > names_.size()) {
    return TypeError(Cat(function_, "() takes at most ", names_.size(),
                         " argument(s) (", args_.positional.size(), " given)"));
  }
  for (const auto& [name, value] : args_.keywords) {
    bool known = false;
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) {
        if (i < args_.positional.size()) {
          return TypeError(Cat(
              function_, "() got multiple values for argument '", name, "'"));
        }
        known = true;
      }
    }
    if (!known) {
      return TypeError(
          Cat(function_, "() got an unexpected keyword argument '", name, "'"));
    }
  }
  return absl::OkStatus();
}

std::optional<Value> ArgReader::Get(size_t index) const {
  if (index < args_.positional.size()) return args_.positional[index];
  if (index >= names_.size()) return std::nullopt;
  for (const auto& [name, value] : args_.keywords) {
    if (name == names_[index]) return value;
  }
  return std::nullopt;
}

}  // namespace edgellm::chat::jinja
