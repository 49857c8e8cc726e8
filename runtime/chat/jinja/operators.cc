#include "runtime/chat/jinja/operators.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <vector>

#include "runtime/chat/jinja/error.h"
#include "runtime/chat/jinja/py_str.h"
#include "runtime/chat/jinja/str_cat.h"

namespace edgellm::chat::jinja {
namespace {

std::string_view OpSymbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kFloorDiv:
      return "//";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "** or pow()";
  }
  return "?";
}

absl::Status Unsupported(BinaryOp op, const Value& a, const Value& b) {
  return MakeError(ErrorType::kTypeError,
                   Cat("unsupported operand type(s) for ", OpSymbol(op), ": '",
                       a.TypeName(), "' and '", b.TypeName(), "'"));
}

absl::Status Overflow() {
  return MakeError(ErrorType::kOverflowError,
                   "integer result does not fit in 64 bits");
}

absl::Status TooLarge() {
  return MakeError(ErrorType::kLimitExceeded,
                   "value too large (string or list size limit)");
}

absl::StatusOr<Value> IntPow(int64_t base, int64_t exp) {
  int64_t result = 1;
  int64_t b = base;
  while (exp > 0) {
    if (exp & 1) {
      if (__builtin_mul_overflow(result, b, &result)) return Overflow();
    }
    exp >>= 1;
    if (exp > 0 && __builtin_mul_overflow(b, b, &b)) return Overflow();
  }
  return Value::Int(result);
}

absl::StatusOr<Value> IntOp(BinaryOp op, int64_t x, int64_t y) {
  int64_t r;
  switch (op) {
    case BinaryOp::kAdd:
      if (__builtin_add_overflow(x, y, &r)) return Overflow();
      return Value::Int(r);
    case BinaryOp::kSub:
      if (__builtin_sub_overflow(x, y, &r)) return Overflow();
      return Value::Int(r);
    case BinaryOp::kMul:
      if (__builtin_mul_overflow(x, y, &r)) return Overflow();
      return Value::Int(r);
    case BinaryOp::kDiv:
      if (y == 0)
        return MakeError(ErrorType::kZeroDivisionError, "division by zero");
      return Value::Float(static_cast<double>(x) / static_cast<double>(y));
    case BinaryOp::kFloorDiv:
    case BinaryOp::kMod: {
      if (y == 0) {
        // Python 3.11's wording differs between // and %.
        return MakeError(ErrorType::kZeroDivisionError,
                         op == BinaryOp::kMod
                             ? "integer modulo by zero"
                             : "integer division or modulo by zero");
      }
      if (x == std::numeric_limits<int64_t>::min() && y == -1) {
        if (op == BinaryOp::kMod) return Value::Int(0);
        return Overflow();
      }
      int64_t q = x / y;
      int64_t m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        m += y;
        --q;
      }
      return Value::Int(op == BinaryOp::kMod ? m : q);
    }
    case BinaryOp::kPow:
      if (y < 0) {
        if (x == 0) {
          return MakeError(ErrorType::kZeroDivisionError,
                           "0.0 cannot be raised to a negative power");
        }
        return Value::Float(
            std::pow(static_cast<double>(x), static_cast<double>(y)));
      }
      return IntPow(x, y);
  }
  return Value::None();
}

absl::StatusOr<Value> FloatOp(BinaryOp op, double x, double y) {
  switch (op) {
    case BinaryOp::kAdd:
      return Value::Float(x + y);
    case BinaryOp::kSub:
      return Value::Float(x - y);
    case BinaryOp::kMul:
      return Value::Float(x * y);
    case BinaryOp::kDiv:
      if (y == 0) {
        return MakeError(ErrorType::kZeroDivisionError,
                         "float division by zero");
      }
      return Value::Float(x / y);
    case BinaryOp::kFloorDiv:
    case BinaryOp::kMod: {
      if (y == 0) {
        return MakeError(ErrorType::kZeroDivisionError,
                         op == BinaryOp::kMod ? "float modulo"
                                              : "float floor division by zero");
      }
      // CPython's float_divmod.
      double mod = std::fmod(x, y);
      double div = (x - mod) / y;
      if (mod != 0) {
        if ((y < 0) != (mod < 0)) {
          mod += y;
          div -= 1.0;
        }
      } else {
        mod = std::copysign(0.0, y);
      }
      double floordiv;
      if (div != 0) {
        floordiv = std::floor(div);
        if (div - floordiv > 0.5) floordiv += 1.0;
      } else {
        floordiv = std::copysign(0.0, x / y);
      }
      return Value::Float(op == BinaryOp::kMod ? mod : floordiv);
    }
    case BinaryOp::kPow:
      if (x == 0 && y < 0) {
        return MakeError(ErrorType::kZeroDivisionError,
                         "0.0 cannot be raised to a negative power");
      }
      return Value::Float(std::pow(x, y));
  }
  return Value::None();
}

absl::StatusOr<Value> Repeat(const Value& seq, int64_t n, size_t max_bytes,
                             size_t max_items) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    const size_t len = seq.str().size();
    if (len != 0 && static_cast<uint64_t>(n) > max_bytes / len)
      return TooLarge();
    std::string out;
    out.reserve(len * n);
    for (int64_t i = 0; i < n; ++i) out += seq.str();
    return seq.is_markup() ? Value::Markup(std::move(out))
                           : Value::String(std::move(out));
  }
  const size_t len = seq.items().size();
  if (len != 0 && static_cast<uint64_t>(n) > max_items / len) return TooLarge();
  std::vector<Value> out;
  out.reserve(len * n);
  for (int64_t i = 0; i < n; ++i) {
    out.insert(out.end(), seq.items().begin(), seq.items().end());
  }
  return seq.is_tuple() ? Value::Tuple(std::move(out))
                        : Value::List(std::move(out));
}

std::string_view CompareSymbol(CompareOp op) {
  switch (op) {
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
    default:
      return "==";
  }
}

bool Ordered(CompareOp op, int c) {
  switch (op) {
    case CompareOp::kLt:
      return c < 0;
    case CompareOp::kLe:
      return c <= 0;
    case CompareOp::kGt:
      return c > 0;
    case CompareOp::kGe:
      return c >= 0;
    default:
      return false;
  }
}

absl::StatusOr<bool> Order(CompareOp op, const Value& a, const Value& b,
                           int depth = 0) {
  if (depth > 1000) {
    return MakeError(ErrorType::kLimitExceeded,
                     "maximum recursion depth exceeded in comparison");
  }
  if (a.is_undefined()) return UndefinedFailure(a);
  if (b.is_undefined()) return UndefinedFailure(b);
  if (a.is_number() && b.is_number()) {
    if (a.is_integral() && b.is_integral()) {
      const int64_t x = a.int_value();
      const int64_t y = b.int_value();
      return Ordered(op, x < y ? -1 : x > y ? 1 : 0);
    }
    const double x = a.float_value();
    const double y = b.float_value();
    if (std::isnan(x) || std::isnan(y)) return false;
    return Ordered(op, x < y ? -1 : x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    // UTF-8 byte order is code point order.
    const int c = a.str().compare(b.str());
    return Ordered(op, c);
  }
  if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
    const auto& x = a.items();
    const auto& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!Equals(x[i], y[i])) return Order(op, x[i], y[i], depth + 1);
    }
    return Ordered(op, x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0);
  }
  return MakeError(
      ErrorType::kTypeError,
      Cat("'", CompareSymbol(op), "' not supported between instances of '",
          a.TypeName(), "' and '", b.TypeName(), "'"));
}

// Python slice index adjustment (PySlice_AdjustIndices).
void AdjustSlice(int64_t len, const std::optional<int64_t>& start_in,
                 const std::optional<int64_t>& stop_in, int64_t step,
                 int64_t& start, int64_t& stop) {
  auto clamp = [len, step](std::optional<int64_t> v, bool is_start) {
    if (!v) {
      if (step > 0) return is_start ? int64_t{0} : len;
      return is_start ? len - 1 : int64_t{-1};
    }
    int64_t x = *v;
    if (x < 0) {
      x += len;
      if (x < 0) x = step < 0 ? -1 : 0;
    } else if (x >= len) {
      x = step < 0 ? len - 1 : len;
    }
    return x;
  };
  start = clamp(start_in, true);
  stop = clamp(stop_in, false);
}

std::vector<int64_t> SliceIndices(int64_t len,
                                  const std::optional<int64_t>& start_in,
                                  const std::optional<int64_t>& stop_in,
                                  int64_t step) {
  int64_t start, stop;
  AdjustSlice(len, start_in, stop_in, step, start, stop);
  std::vector<int64_t> out;
  if (step > 0) {
    for (int64_t i = start; i < stop; i += step) out.push_back(i);
  } else {
    for (int64_t i = start; i > stop; i += step) out.push_back(i);
  }
  return out;
}

// One %-conversion's value formatted per spec.
struct Spec {
  bool left = false, plus = false, space = false, alt = false, zero = false;
  int width = -1;
  int precision = -1;
  char type = 's';
};

std::string Pad(std::string body, const Spec& spec, bool numeric) {
  if (spec.width < 0 || static_cast<int>(py::Length(body)) >= spec.width)
    return body;
  const size_t fill = spec.width - py::Length(body);
  if (spec.left) return body + std::string(fill, ' ');
  if (spec.zero && numeric) {
    size_t sign =
        (!body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' '))
            ? 1
            : 0;
    return body.substr(0, sign) + std::string(fill, '0') + body.substr(sign);
  }
  return std::string(fill, ' ') + body;
}

absl::StatusOr<std::string> FormatOne(const Spec& spec, const Value& v) {
  char buf[512];
  switch (spec.type) {
    case 's':
    case 'r':
    case 'a': {
      std::string s = spec.type == 's' ? Str(v) : Repr(v);
      if (spec.precision >= 0) {
        std::u32string u = py::Decode(s);
        if (u.size() > static_cast<size_t>(spec.precision))
          u.resize(spec.precision);
        s = py::Encode(u);
      }
      return Pad(std::move(s), spec, false);
    }
    case 'd':
    case 'i':
    case 'u':
    case 'x':
    case 'X':
    case 'o': {
      if (!v.is_number()) {
        return MakeError(
            ErrorType::kTypeError,
            Cat("%", std::string(1, spec.type), " format: a ",
                spec.type == 'd' || spec.type == 'i' || spec.type == 'u'
                    ? "real number"
                    : "integer",
                " is required, not ", v.TypeName()));
      }
      const int64_t n =
          v.is_float() ? static_cast<int64_t>(v.float_value()) : v.int_value();
      const uint64_t mag =
          n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
      const char* fmt = spec.type == 'x'   ? "%llx"
                        : spec.type == 'X' ? "%llX"
                        : spec.type == 'o' ? "%llo"
                                           : "%llu";
      std::snprintf(buf, sizeof(buf), fmt,
                    static_cast<unsigned long long>(mag));
      std::string digits = buf;
      if (spec.precision >= 0 &&
          static_cast<int>(digits.size()) < spec.precision) {
        digits = std::string(spec.precision - digits.size(), '0') + digits;
      }
      if (spec.alt && spec.type != 'd' && spec.type != 'i' &&
          spec.type != 'u') {
        digits = (spec.type == 'o'   ? "0o"
                  : spec.type == 'x' ? "0x"
                                     : "0X") +
                 digits;
      }
      const std::string sign = n < 0        ? "-"
                               : spec.plus  ? "+"
                               : spec.space ? " "
                                            : "";
      return Pad(sign + digits, spec, true);
    }
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      if (!v.is_number()) {
        return MakeError(ErrorType::kTypeError,
                         Cat("must be real number, not ", v.TypeName()));
      }
      const double d = v.float_value();
      std::string fmt = "%";
      if (spec.plus) fmt += '+';
      if (spec.space) fmt += ' ';
      if (spec.alt) fmt += '#';
      fmt += Cat(".", spec.precision < 0 ? 6 : std::min(spec.precision, 100));
      fmt += spec.type;
      std::snprintf(buf, sizeof(buf), fmt.c_str(), d);
      return Pad(buf, spec, std::isfinite(d));
    }
    case 'c': {
      std::string s;
      if (v.is_integral()) {
        const int64_t c = v.int_value();
        if (c < 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
          return MakeError(ErrorType::kOverflowError,
                           "%c arg not in range(0x110000)");
        }
        py::AppendUtf8(s, static_cast<char32_t>(c));
      } else if (v.is_string() && py::Length(v.str()) == 1) {
        s = v.str();
      } else {
        return MakeError(ErrorType::kTypeError, "%c requires int or char");
      }
      return Pad(s, spec, false);
    }
    default:
      return MakeError(ErrorType::kValueError,
                       Cat("unsupported format character '",
                           std::string(1, spec.type), "'"));
  }
}

}  // namespace

absl::Status UndefinedFailure(const Value& undefined) {
  const UndefinedInfo* info = undefined.undefined_info();
  if (info == nullptr)
    return MakeError(ErrorType::kUndefinedError, "value is undefined");
  return MakeError(
      info->security ? ErrorType::kSecurityError : ErrorType::kUndefinedError,
      info->message);
}

std::string ObjectTypeRepr(const Value& v) {
  if (v.is_none()) return "None";
  if (v.is_object()) return Cat(v.object().QualifiedTypeName(), " object");
  return Cat(v.TypeName(), " object");
}

absl::StatusOr<Value> BinaryOperation(BinaryOp op, const Value& a,
                                      const Value& b, size_t max_bytes,
                                      size_t max_items) {
  // str % x runs str's formatting first, which accepts an undefined value
  // (it prints as ""); every other operator fails on one.
  if (op == BinaryOp::kMod && a.is_string()) {
    auto formatted = PercentFormat(a.str(), b, a.is_markup());
    if (!formatted.ok()) return formatted.status();
    return a.is_markup() ? Value::Markup(*std::move(formatted))
                         : Value::String(*std::move(formatted));
  }
  if (a.is_undefined()) return UndefinedFailure(a);
  if (b.is_undefined()) return UndefinedFailure(b);
  if (a.is_number() && b.is_number()) {
    if (a.is_integral() && b.is_integral())
      return IntOp(op, a.int_value(), b.int_value());
    return FloatOp(op, a.float_value(), b.float_value());
  }
  if (op == BinaryOp::kAdd) {
    if (a.is_string()) {
      if (!b.is_string()) {
        if (a.is_markup()) return Unsupported(op, a, b);
        return MakeError(ErrorType::kTypeError,
                         Cat("can only concatenate str (not \"", b.TypeName(),
                             "\") to str"));
      }
      if (a.str().size() + b.str().size() > max_bytes) return TooLarge();
      if (a.is_markup() || b.is_markup()) {
        // Markup + str escapes the plain side (markupsafe's __add__/__radd__).
        return Value::Markup((a.is_markup() ? a.str() : HtmlEscape(a.str())) +
                             (b.is_markup() ? b.str() : HtmlEscape(b.str())));
      }
      return Value::String(a.str() + b.str());
    }
    if (a.is_sequence()) {
      if (b.kind() != a.kind()) {
        return MakeError(ErrorType::kTypeError,
                         Cat("can only concatenate ", a.TypeName(), " (not \"",
                             b.TypeName(), "\") to ", a.TypeName()));
      }
      if (a.items().size() + b.items().size() > max_items) return TooLarge();
      std::vector<Value> out = a.items();
      out.insert(out.end(), b.items().begin(), b.items().end());
      return a.is_tuple() ? Value::Tuple(std::move(out))
                          : Value::List(std::move(out));
    }
  }
  if (op == BinaryOp::kMul) {
    const bool a_seq = a.is_string() || a.is_sequence();
    const bool b_seq = b.is_string() || b.is_sequence();
    if (a_seq && b.is_integral())
      return Repeat(a, b.int_value(), max_bytes, max_items);
    if (b_seq && a.is_integral())
      return Repeat(b, a.int_value(), max_bytes, max_items);
    if (a_seq || b_seq) {
      return MakeError(
          ErrorType::kTypeError,
          Cat("can't multiply sequence by non-int of type '",
              // Markup's __mul__ declines a str, whose
              // __rmul__ then names the Markup.
              (a_seq && !(a.is_markup() && b_seq) ? b : a).TypeName(), "'"));
    }
  }
  if (op == BinaryOp::kMod && a.is_string()) {
    auto s = PercentFormat(a.str(), b, a.is_markup());
    if (!s.ok()) return s.status();
    return a.is_markup() ? Value::Markup(*std::move(s))
                         : Value::String(*std::move(s));
  }
  return Unsupported(op, a, b);
}

absl::StatusOr<Value> Negate(const Value& v) {
  if (v.is_undefined()) return UndefinedFailure(v);
  if (v.is_integral()) {
    if (v.int_value() == std::numeric_limits<int64_t>::min()) return Overflow();
    return Value::Int(-v.int_value());
  }
  if (v.is_float()) return Value::Float(-v.float_value());
  return MakeError(ErrorType::kTypeError,
                   Cat("bad operand type for unary -: '", v.TypeName(), "'"));
}

absl::StatusOr<Value> Positive(const Value& v) {
  if (v.is_undefined()) return UndefinedFailure(v);
  if (v.is_integral()) return Value::Int(v.int_value());
  if (v.is_float()) return v;
  return MakeError(ErrorType::kTypeError,
                   Cat("bad operand type for unary +: '", v.TypeName(), "'"));
}

absl::StatusOr<bool> CompareValues(CompareOp op, const Value& a,
                                   const Value& b) {
  switch (op) {
    case CompareOp::kEq:
      return Equals(a, b);
    case CompareOp::kNe:
      return !Equals(a, b);
    case CompareOp::kIn:
      return Contains(b, a);
    case CompareOp::kNotIn: {
      auto r = Contains(b, a);
      if (!r.ok()) return r.status();
      return !*r;
    }
    default:
      return Order(op, a, b);
  }
}

absl::StatusOr<bool> LessThan(const Value& a, const Value& b) {
  return Order(CompareOp::kLt, a, b);
}

absl::Status CheckHashable(const Value& v) {
  if (v.is_list() || v.is_dict()) {
    return MakeError(ErrorType::kTypeError,
                     Cat("unhashable type: '", v.TypeName(), "'"));
  }
  if (v.is_tuple() && v.container_depth() > 1) {
    for (const Value& e : v.items()) {
      absl::Status s = CheckHashable(e);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kString:
      if (!item.is_string()) {
        return MakeError(
            ErrorType::kTypeError,
            Cat("'in <string>' requires string as left operand, not ",
                item.TypeName()));
      }
      return container.str().find(item.str()) != std::string::npos;
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      for (const Value& e : container.items()) {
        if (Equals(e, item)) return true;
      }
      return false;
    case Value::Kind::kDict: {
      absl::Status s = CheckHashable(item);
      if (!s.ok()) return s;
      return container.dict().Find(item) != nullptr;
    }
    case Value::Kind::kUndefined:
      return false;
    default:
      return MakeError(
          ErrorType::kTypeError,
          Cat("argument of type '", container.TypeName(), "' is not iterable"));
  }
}

std::optional<absl::StatusOr<Value>> SliceValue(
    const Value& obj, const std::optional<int64_t>& start,
    const std::optional<int64_t>& stop, const std::optional<int64_t>& step_in) {
  if (!obj.is_string() && !obj.is_sequence()) return std::nullopt;
  const int64_t step = step_in.value_or(1);
  if (step == 0) {
    return absl::StatusOr<Value>(
        MakeError(ErrorType::kValueError, "slice step cannot be zero"));
  }
  if (obj.is_string()) {
    const std::string& s = obj.str();
    if (py::IsAscii(s)) {
      std::string out;
      for (int64_t i : SliceIndices(s.size(), start, stop, step))
        out.push_back(s[i]);
      return absl::StatusOr<Value>(Value::String(std::move(out)));
    }
    const std::u32string u = py::Decode(s);
    std::u32string out;
    for (int64_t i : SliceIndices(u.size(), start, stop, step))
      out.push_back(u[i]);
    return absl::StatusOr<Value>(Value::String(py::Encode(out)));
  }
  const auto& items = obj.items();
  std::vector<Value> out;
  for (int64_t i : SliceIndices(items.size(), start, stop, step))
    out.push_back(items[i]);
  return absl::StatusOr<Value>(obj.is_tuple() ? Value::Tuple(std::move(out))
                                              : Value::List(std::move(out)));
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<std::string> PercentFormat(std::string_view format,
                                          const Value& args, bool escape) {
  std::vector<Value> positional;
  const Dict* mapping = nullptr;
  if (args.is_tuple()) {
    positional = args.items();
  } else {
    if (args.is_dict()) mapping = &args.dict();
    positional.push_back(args);
  }
  size_t next = 0;
  bool used_mapping = false;
  std::string out;
  auto next_arg = [&]() -> absl::StatusOr<Value> {
    if (next >= positional.size()) {
      return MakeError(ErrorType::kTypeError,
                       "not enough arguments for format string");
    }
    return positional[next++];
  };
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out.push_back(format[i]);
      continue;
    }
    if (++i >= format.size()) {
      return MakeError(ErrorType::kValueError, "incomplete format");
    }
    Spec spec;
    std::optional<Value> keyed;
    if (format[i] == '(') {
      const size_t close = format.find(')', i);
      if (close == std::string_view::npos) {
        return MakeError(ErrorType::kValueError, "incomplete format key");
      }
      if (mapping == nullptr) {
        return MakeError(ErrorType::kTypeError, "format requires a mapping");
      }
      const Value* v = mapping->Find(format.substr(i + 1, close - i - 1));
      if (v == nullptr) {
        return MakeError(
            ErrorType::kValueError,
            Cat("KeyError: '", format.substr(i + 1, close - i - 1), "'"));
      }
      keyed = *v;
      used_mapping = true;
      i = close + 1;
    }
    for (; i < format.size(); ++i) {
      const char f = format[i];
      if (f == '-')
        spec.left = true;
      else if (f == '+')
        spec.plus = true;
      else if (f == ' ')
        spec.space = true;
      else if (f == '#')
        spec.alt = true;
      else if (f == '0')
        spec.zero = true;
      else
        break;
    }
    auto read_number = [&](int& target) -> absl::Status {
      if (i < format.size() && format[i] == '*') {
        auto v = next_arg();
        if (!v.ok()) return v.status();
        if (!v->is_integral())
          return MakeError(ErrorType::kTypeError, "* wants int");
        target = static_cast<int>(std::min<int64_t>(v->int_value(), 10000));
        ++i;
        return absl::OkStatus();
      }
      if (i < format.size() && format[i] >= '0' && format[i] <= '9') {
        target = 0;
        while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
          target = std::min(target * 10 + (format[i] - '0'), 10000);
          ++i;
        }
      }
      return absl::OkStatus();
    };
    if (auto st = read_number(spec.width); !st.ok()) return st;
    if (i < format.size() && format[i] == '.') {
      ++i;
      spec.precision = 0;
      if (auto st = read_number(spec.precision); !st.ok()) return st;
    }
    while (i < format.size() &&
           (format[i] == 'l' || format[i] == 'h' || format[i] == 'L'))
      ++i;
    if (i >= format.size())
      return MakeError(ErrorType::kValueError, "incomplete format");
    spec.type = format[i];
    if (spec.type == '%') {
      out.push_back('%');
      continue;
    }
    Value v;
    if (keyed) {
      v = *keyed;
    } else {
      auto a = next_arg();
      if (!a.ok()) return a.status();
      v = *std::move(a);
    }
    auto piece = FormatOne(spec, v);
    if (!piece.ok()) return piece.status();
    const bool text = spec.type == 's' || spec.type == 'r' || spec.type == 'a';
    out += escape && text && !v.is_markup() ? HtmlEscape(*piece) : *piece;
  }
  // CPython raises this for a tuple with arguments left over, or for a
  // single argument no conversion used unless it supports item access
  // (list, dict: it then counts as a mapping for %(name)s).
  const bool mapping_like =
      !args.is_tuple() && !args.is_string() &&
      (args.is_list() || args.is_dict() || args.is_undefined() ||
       (args.is_object() && args.TypeName() == "range"));
  if (!used_mapping && !mapping_like && next < positional.size()) {
    return MakeError(ErrorType::kTypeError,
                     "not all arguments converted during string formatting");
  }
  return out;
}

std::optional<int64_t> ParseInt(std::string_view s, int base) {
  std::string t = py::Strip(s, std::nullopt, true, true);
  std::string_view v = t;
  bool negative = false;
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
    negative = v[0] == '-';
    v.remove_prefix(1);
  }
  if (v.size() >= 2 && v[0] == '0') {
    const char p = v[1] | 0x20;
    const int prefixed = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (prefixed != 0 && (base == 0 || base == prefixed)) {
      base = prefixed;
      v.remove_prefix(2);
      if (!v.empty() && v[0] == '_') v.remove_prefix(1);
    }
  }
  if (base == 0) base = 10;
  if (base < 2 || base > 36 || v.empty()) return std::nullopt;
  uint64_t acc = 0;
  bool last_underscore = true;
  for (char c : v) {
    if (c == '_') {
      if (last_underscore) return std::nullopt;
      last_underscore = true;
      continue;
    }
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
      d = (c | 0x20) - 'a' + 10;
    else
      return std::nullopt;
    if (d >= base) return std::nullopt;
    if (acc > (std::numeric_limits<uint64_t>::max() - d) / base)
      return std::nullopt;
    acc = acc * base + d;
    last_underscore = false;
  }
  if (last_underscore) return std::nullopt;
  if (acc > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) +
                (negative ? 1 : 0)) {
    return std::nullopt;
  }
  return negative ? static_cast<int64_t>(0 - acc) : static_cast<int64_t>(acc);
}

std::optional<double> ParseFloat(std::string_view s) {
  std::string t = py::Strip(s, std::nullopt, true, true);
  std::string clean;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '_') {
      // Only between digits.
      if (i == 0 || i + 1 >= t.size() ||
          !std::isdigit(static_cast<unsigned char>(t[i - 1])) ||
          !std::isdigit(static_cast<unsigned char>(t[i + 1]))) {
        return std::nullopt;
      }
      continue;
    }
    clean.push_back(t[i]);
  }
  if (clean.empty()) return std::nullopt;
  std::string lower = py::Lower(clean);
  std::string_view body = lower;
  bool negative = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "inf" || body == "infinity") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (body == "nan") return std::numeric_limits<double>::quiet_NaN();
  // Digits, one optional '.', optional exponent; no hex floats.
  for (char c : body) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' ||
          c == '+' || c == '-')) {
      return std::nullopt;
    }
  }
  char* end = nullptr;
  const double d = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) return std::nullopt;
  return d;
}

}  // namespace edgellm::chat::jinja
