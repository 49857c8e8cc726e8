// Jinja2 3.1's built-in filters (jinja2/filters.py), with tojson replaced
// by Hugging Face's json.dumps version. Filters that return generators in
// Jinja2 (map, select, reject, selectattr, rejectattr, unique, items,
// batch, slice) return one-shot iterators here too.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "runtime/chat/jinja/builtins.h"
#include "runtime/chat/jinja/error.h"
#include "runtime/chat/jinja/interpreter.h"
#include "runtime/chat/jinja/objects.h"
#include "runtime/chat/jinja/operators.h"
#include "runtime/chat/jinja/py_json.h"
#include "runtime/chat/jinja/py_str.h"
#include "runtime/chat/jinja/str_cat.h"
#include "util/status_macros.h"

namespace edgellm::chat::jinja {
namespace {

using Result = absl::StatusOr<Value>;

absl::Status FilterArgumentError(std::string_view message) {
  return MakeError(ErrorType::kFilterArgumentError, message);
}

absl::StatusOr<int64_t> IntArg(const Value& v, std::string_view what) {
  if (v.is_integral()) return v.int_value();
  if (v.is_undefined()) return UndefinedFailure(v);
  return MakeError(
      ErrorType::kTypeError,
      Cat("'", v.TypeName(), "' object cannot be interpreted as an ", what));
}

// Jinja2's make_attrgetter: "a.b.0" looks up a, then b, then item 0, each
// through the sandbox's getitem.
absl::StatusOr<Value> GetPath(Interpreter& in, Value item,
                              const Value& attribute,
                              const std::optional<Value>& fallback) {
  std::vector<Value> parts;
  if (attribute.is_string()) {
    std::string_view s = attribute.str();
    while (true) {
      const size_t dot = s.find('.');
      const std::string_view part = s.substr(0, dot);
      const bool digits =
          !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit);
      parts.push_back(
          digits ? Value::Int(std::stoll(std::string(part.substr(0, 18))))
                 : Value::String(std::string(part)));
      if (dot == std::string_view::npos) break;
      s.remove_prefix(dot + 1);
    }
  } else {
    parts.push_back(attribute);
  }
  for (const Value& part : parts) {
    EDGELLM_ASSIGN_OR_RETURN(item, in.GetItem(item, part));
    if (fallback && item.is_undefined()) item = *fallback;
  }
  return item;
}

Value IgnoreCase(const Value& v) {
  return v.is_string() ? Value::String(py::Lower(v.str())) : v;
}

// Keys for sort/unique/min/max: the attribute path, lower-cased unless
// case_sensitive.
absl::StatusOr<Value> SortKey(Interpreter& in, const Value& item,
                              const std::optional<Value>& attribute,
                              bool case_sensitive) {
  Value key = item;
  if (attribute && !attribute->is_none()) {
    EDGELLM_ASSIGN_OR_RETURN(key, GetPath(in, item, *attribute, std::nullopt));
  }
  return case_sensitive ? key : IgnoreCase(key);
}

absl::Status StableSort(std::vector<std::pair<Value, Value>>& keyed,
                        bool reverse) {
  absl::Status error;
  std::stable_sort(
      keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
        auto lt =
            reverse ? LessThan(b.first, a.first) : LessThan(a.first, b.first);
        if (!lt.ok()) {
          if (error.ok()) error = lt.status();
          return false;
        }
        return *lt;
      });
  return error;
}

#define READ_ARGS(reader, fn, ...)           \
  ArgReader reader(args, fn, {__VA_ARGS__}); \
  EDGELLM_RETURN_IF_ERROR(reader.Check())

Result Abs(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_abs");
  if (v.is_integral()) {
    if (v.int_value() == INT64_MIN) {
      return MakeError(ErrorType::kOverflowError,
                       "integer result does not fit in 64 bits");
    }
    return Value::Int(std::llabs(v.int_value()));
  }
  if (v.is_float()) return Value::Float(std::fabs(v.float_value()));
  return MakeError(ErrorType::kTypeError,
                   Cat("bad operand type for abs(): '", v.TypeName(), "'"));
}

Result Attr(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_attr", "name");
  const Value name = r.GetOr(0, Value());
  if (!name.is_string())
    return MakeError(ErrorType::kTypeError, "attribute name must be string");
  return in.GetAttr(v, name.str());
}

absl::StatusOr<std::vector<Value>> BatchItems(Interpreter& in, const Value& v,
                                              const CallArgs& args) {
  READ_ARGS(r, "do_batch", "linecount", "fill_with");
  EDGELLM_ASSIGN_OR_RETURN(int64_t n, IntArg(r.GetOr(0, Value()), "integer"));
  const std::optional<Value> fill = r.Get(1);
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, in.Iterate(v));
  std::vector<Value> out;
  std::vector<Value> tmp;
  for (Value& item : items) {
    if (static_cast<int64_t>(tmp.size()) == n) {
      out.push_back(Value::List(std::move(tmp)));
      tmp.clear();
    }
    tmp.push_back(std::move(item));
  }
  if (!tmp.empty()) {
    if (fill && !fill->is_none()) {
      while (static_cast<int64_t>(tmp.size()) < n) tmp.push_back(*fill);
    }
    out.push_back(Value::List(std::move(tmp)));
  }
  return out;
}

// Jinja2 writes Batch as a generator: nothing, not even an error, happens
// until something iterates it.
Result Batch(Interpreter& in, const Value& v, const CallArgs& args) {
  return MakeGenerator(BatchItems(in, v, args));
}

// A str method applied to soft_str(value): a Markup stays Markup.
Value SameStringKind(const Value& input, std::string s) {
  return input.is_markup() ? Value::Markup(std::move(s))
                           : Value::String(std::move(s));
}

Result StringFilter(const Value& v, const CallArgs& args, const char* name,
                    std::string (*f)(std::string_view)) {
  READ_ARGS(r, name);
  return SameStringKind(v, f(Str(v)));
}
Result Capitalize(Interpreter&, const Value& v, const CallArgs& a) {
  return StringFilter(v, a, "do_capitalize", py::Capitalize);
}
Result Upper(Interpreter&, const Value& v, const CallArgs& a) {
  return StringFilter(v, a, "do_upper", py::Upper);
}
Result Lower(Interpreter&, const Value& v, const CallArgs& a) {
  return StringFilter(v, a, "do_lower", py::Lower);
}

Result Center(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_center", "width");
  EDGELLM_ASSIGN_OR_RETURN(int64_t width,
                           IntArg(r.GetOr(0, Value::Int(80)), "integer"));
  const std::string s = Str(v);
  const int64_t len = py::Length(s);
  if (width <= len) return Value::String(s);
  width = std::min<int64_t>(width, in.max_bytes());
  const int64_t marg = width - len;
  const int64_t left = marg / 2 + (marg & width & 1);
  return Value::String(std::string(left, ' ') + s +
                       std::string(marg - left, ' '));
}

Result Count(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "sync_do_count");
  EDGELLM_ASSIGN_OR_RETURN(size_t n, in.Length(v));
  return Value::Int(static_cast<int64_t>(n));
}

Result Default(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_default", "default_value", "boolean");
  const bool boolean = Truthy(r.GetOr(1, Value::Bool(false)));
  if (v.is_undefined() || (boolean && !Truthy(v))) {
    return r.GetOr(0, Value::String(""));
  }
  return v;
}

Result DictSort(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_dictsort", "case_sensitive", "by", "reverse");
  const bool case_sensitive = Truthy(r.GetOr(0, Value::Bool(false)));
  const Value by = r.GetOr(1, Value::String("key"));
  const bool reverse = Truthy(r.GetOr(2, Value::Bool(false)));
  int pos;
  if (by.is_string() && by.str() == "key") {
    pos = 0;
  } else if (by.is_string() && by.str() == "value") {
    pos = 1;
  } else {
    return FilterArgumentError(
        "You can only sort by either \"key\" or \"value\"");
  }
  if (!v.is_dict()) {
    if (v.is_undefined()) return UndefinedFailure(v);
    return MakeError(
        ErrorType::kAttributeError,
        Cat("'", v.TypeName(), "' object has no attribute 'items'"));
  }
  std::vector<std::pair<Value, Value>> keyed;
  for (const auto& [k, val] : v.dict().entries()) {
    const Value& key = pos == 0 ? k : val;
    keyed.emplace_back(case_sensitive ? key : IgnoreCase(key),
                       Value::Tuple({k, val}));
  }
  EDGELLM_RETURN_IF_ERROR(in.Charge(static_cast<int64_t>(keyed.size())));
  EDGELLM_RETURN_IF_ERROR(StableSort(keyed, reverse));
  std::vector<Value> out;
  for (auto& [k, item] : keyed) out.push_back(std::move(item));
  return Value::List(std::move(out));
}

Result Escape(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "escape");
  if (v.is_markup()) return v;
  if (v.is_undefined()) return Value::Markup("");
  return Value::Markup(HtmlEscape(Str(v)));
}

Result ForceEscape(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_forceescape");
  return Value::Markup(HtmlEscape(Str(v)));
}

Result First(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "sync_do_first");
  if (const auto* it = dynamic_cast<const Iterator*>(AsJinjaObject(v))) {
    if (auto next = it->Next()) return *next;
    return Value::Undefined("No first item, sequence was empty.");
  }
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, in.Iterate(v));
  if (items.empty())
    return Value::Undefined("No first item, sequence was empty.");
  return items.front();
}

Result Last(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "sync_do_last");
  if (const auto* it = dynamic_cast<const Iterator*>(AsJinjaObject(v));
      it != nullptr && !it->Length()) {
    return MakeError(ErrorType::kTypeError,
                     Cat("'", v.TypeName(), "' object is not reversible"));
  }
  absl::StatusOr<std::vector<Value>> items = in.Iterate(v);
  if (!items.ok()) {
    return MakeError(ErrorType::kTypeError,
                     Cat("'", v.TypeName(), "' object is not reversible"));
  }
  if (items->empty())
    return Value::Undefined("No last item, sequence was empty.");
  return items->back();
}

Result Float(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_float", "default");
  // float(Undefined) raises; the filter catches only TypeError/ValueError.
  if (v.is_undefined()) return UndefinedFailure(v);
  if (v.is_number()) return Value::Float(v.float_value());
  if (v.is_string()) {
    if (auto d = ParseFloat(v.str())) return Value::Float(*d);
  }
  return r.GetOr(0, Value::Float(0.0));
}

Result Int(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_int", "default", "base");
  if (v.is_undefined()) return UndefinedFailure(v);
  const Value fallback = r.GetOr(0, Value::Int(0));
  const Value base_v = r.GetOr(1, Value::Int(10));
  const int64_t base = base_v.is_integral() ? base_v.int_value() : 10;
  if (v.is_integral()) return Value::Int(v.int_value());
  if (v.is_float()) {
    const double d = v.float_value();
    if (!std::isfinite(d)) {
      return MakeError(ErrorType::kOverflowError,
                       "cannot convert float infinity to integer");
    }
    if (std::fabs(d) >= 9.2e18) {
      return MakeError(ErrorType::kOverflowError,
                       "integer result does not fit in 64 bits");
    }
    return Value::Int(static_cast<int64_t>(d));
  }
  if (v.is_string()) {
    if (auto i = ParseInt(v.str(), static_cast<int>(base)))
      return Value::Int(*i);
    if (auto d = ParseFloat(v.str());
        d && std::isfinite(*d) && std::fabs(*d) < 9.2e18) {
      return Value::Int(static_cast<int64_t>(*d));
    }
  }
  return fallback;
}

Result Indent(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_indent", "width", "first", "blank");
  const Value width = r.GetOr(0, Value::Int(4));
  std::string indention;
  if (width.is_string()) {
    indention = width.str();
  } else {
    EDGELLM_ASSIGN_OR_RETURN(int64_t n, IntArg(width, "integer"));
    indention = std::string(std::clamp<int64_t>(n, 0, 1 << 16), ' ');
  }
  const bool first = Truthy(r.GetOr(1, Value::Bool(false)));
  const bool blank = Truthy(r.GetOr(2, Value::Bool(false)));
  const std::string s = Str(v) + "\n";
  std::vector<std::string> lines = py::SplitLines(s, false);
  std::string rv;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      rv += "\n";
      if (blank || !lines[i].empty()) rv += indention;
    }
    rv += lines[i];
    if (rv.size() > in.max_bytes()) {
      return MakeError(ErrorType::kLimitExceeded,
                       "string larger than the output limit");
    }
  }
  if (first) rv = indention + rv;
  return SameStringKind(v, std::move(rv));
}

absl::StatusOr<std::vector<Value>> ItemsItems(Interpreter&, const Value& v,
                                              const CallArgs& args) {
  READ_ARGS(r, "do_items");
  if (v.is_undefined()) return std::vector<Value>{};
  if (!v.is_dict()) {
    return MakeError(ErrorType::kTypeError,
                     "Can only get item pairs from a mapping.");
  }
  std::vector<Value> out;
  for (const auto& [k, val] : v.dict().entries())
    out.push_back(Value::Tuple({k, val}));
  return out;
}

// Jinja2 writes Items as a generator: nothing, not even an error, happens
// until something iterates it.
Result Items(Interpreter& in, const Value& v, const CallArgs& args) {
  return MakeGenerator(ItemsItems(in, v, args));
}

Result Join(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "sync_do_join", "d", "attribute");
  const std::string sep = Str(r.GetOr(0, Value::String("")));
  const std::optional<Value> attribute = r.Get(1);
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, in.Iterate(v));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    Value item = items[i];
    if (attribute && !attribute->is_none()) {
      EDGELLM_ASSIGN_OR_RETURN(item,
                               GetPath(in, item, *attribute, std::nullopt));
    }
    if (i > 0) out += sep;
    out += item.is_string() ? item.str() : Str(item);
    if (out.size() > in.max_bytes()) {
      return MakeError(ErrorType::kLimitExceeded,
                       "string larger than the output limit");
    }
  }
  return Value::String(std::move(out));
}

Result ListFilter(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "sync_do_list");
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, in.Iterate(v));
  return Value::List(std::move(items));
}

absl::StatusOr<std::vector<Value>> MapItems(Interpreter& in, const Value& v,
                                            const CallArgs& args) {
  if (!Truthy(v)) return std::vector<Value>{};
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, in.Iterate(v));
  std::vector<Value> out;
  out.reserve(items.size());
  if (args.positional.empty()) {
    std::optional<Value> attribute;
    std::optional<Value> fallback;
    for (const auto& [k, val] : args.keywords) {
      if (k == "attribute") {
        attribute = val;
      } else if (k == "default") {
        fallback = val;
      } else {
        return FilterArgumentError(
            Cat("Unexpected keyword argument '", k, "'"));
      }
    }
    if (!attribute)
      return FilterArgumentError("map requires a filter argument");
    if (fallback && fallback->is_none()) fallback.reset();
    for (const Value& item : items) {
      EDGELLM_ASSIGN_OR_RETURN(Value x,
                               GetPath(in, item, *attribute, fallback));
      out.push_back(std::move(x));
    }
    return out;
  }
  const Value name = args.positional[0];
  if (!name.is_string())
    return FilterArgumentError("map requires a filter name");
  CallArgs rest;
  rest.positional.assign(args.positional.begin() + 1, args.positional.end());
  rest.keywords = args.keywords;
  for (const Value& item : items) {
    EDGELLM_ASSIGN_OR_RETURN(Value x, in.CallFilter(name.str(), item, rest));
    out.push_back(std::move(x));
  }
  return out;
}

// Jinja2 writes Map as a generator: nothing, not even an error, happens
// until something iterates it.
Result Map(Interpreter& in, const Value& v, const CallArgs& args) {
  return MakeGenerator(MapItems(in, v, args));
}

Result MinMax(Interpreter& in, const Value& v, const CallArgs& args, bool max) {
  READ_ARGS(r, max ? "do_max" : "do_min", "case_sensitive", "attribute");
  const bool case_sensitive = Truthy(r.GetOr(0, Value::Bool(false)));
  const std::optional<Value> attribute = r.Get(1);
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, in.Iterate(v));
  if (items.empty())
    return Value::Undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  EDGELLM_ASSIGN_OR_RETURN(Value best_key,
                           SortKey(in, items[0], attribute, case_sensitive));
  for (size_t i = 1; i < items.size(); ++i) {
    EDGELLM_ASSIGN_OR_RETURN(Value key,
                             SortKey(in, items[i], attribute, case_sensitive));
    // Python's max() asks key > best, min() key < best.
    EDGELLM_ASSIGN_OR_RETURN(
        bool better,
        CompareValues(max ? CompareOp::kGt : CompareOp::kLt, key, best_key));
    if (better) {
      best = i;
      best_key = std::move(key);
    }
  }
  return items[best];
}
Result Max(Interpreter& in, const Value& v, const CallArgs& a) {
  return MinMax(in, v, a, true);
}
Result Min(Interpreter& in, const Value& v, const CallArgs& a) {
  return MinMax(in, v, a, false);
}

// pprint.pformat sorts dict keys; it also wraps structures wider than 80
// columns, which this does not.
Value SortDicts(const Value& v, int depth) {
  if (depth > 100) return v;
  if (v.is_sequence()) {
    std::vector<Value> items;
    for (const Value& e : v.items()) items.push_back(SortDicts(e, depth + 1));
    return v.is_tuple() ? Value::Tuple(std::move(items))
                        : Value::List(std::move(items));
  }
  if (!v.is_dict()) return v;
  std::vector<std::pair<Value, Value>> keyed;
  for (const auto& [k, val] : v.dict().entries())
    keyed.emplace_back(k, SortDicts(val, depth + 1));
  (void)StableSort(keyed, false);
  Dict d;
  for (auto& [k, val] : keyed) d.Set(std::move(k), std::move(val));
  return Value::FromDict(std::move(d));
}

Result Pprint(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_pprint");
  return Value::String(Repr(SortDicts(v, 0)));
}

Result Replace(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_replace", "old", "new", "count");
  auto old_sub = r.Get(0);
  auto new_sub = r.Get(1);
  if (!old_sub || !new_sub) {
    return MakeError(
        ErrorType::kTypeError,
        "do_replace() missing required positional arguments: 'old' and 'new'");
  }
  const Value count_v = r.GetOr(2, Value::None());
  int64_t count = -1;
  if (!count_v.is_none()) {
    EDGELLM_ASSIGN_OR_RETURN(count, IntArg(count_v, "integer"));
  }
  std::string out = py::Replace(Str(v), Str(*old_sub), Str(*new_sub), count);
  if (out.size() > in.max_bytes()) {
    return MakeError(ErrorType::kLimitExceeded,
                     "string larger than the output limit");
  }
  return Value::String(std::move(out));
}

Result Reverse(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_reverse");
  if (v.is_string()) {
    std::u32string u = py::Decode(v.str());
    std::reverse(u.begin(), u.end());
    return Value::String(py::Encode(u));
  }
  absl::StatusOr<std::vector<Value>> iterated = in.Iterate(v);
  if (!iterated.ok()) return FilterArgumentError("argument must be iterable");
  std::vector<Value> items = *std::move(iterated);
  std::reverse(items.begin(), items.end());
  const bool is_range = v.is_object() && v.TypeName() == "range";
  if (v.is_sequence() || v.is_dict() || is_range) {
    const char* type = v.is_list()    ? "list_reverseiterator"
                       : v.is_tuple() ? "reversed"
                       : is_range     ? "range_iterator"
                                      : "dict_reversekeyiterator";
    return Value::FromObject(
        std::make_shared<Iterator>(std::move(items), type, false));
  }
  return Value::List(std::move(items));
}

// Python's round(x, n): the exact binary value rounded half to even at n
// decimals (printf rounds the exact value the same way).
double PyRound(double x, int64_t n) {
  if (!std::isfinite(x)) return x;
  if (n == 0) return std::nearbyint(x);
  if (n > 0) {
    if (n > 300) return x;
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(n), x);
    return std::strtod(buf, nullptr);
  }
  const double p = std::pow(10.0, static_cast<double>(-n));
  return std::nearbyint(x / p) * p;
}

Result Round(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_round", "precision", "method");
  EDGELLM_ASSIGN_OR_RETURN(int64_t precision,
                           IntArg(r.GetOr(0, Value::Int(0)), "integer"));
  const Value method = r.GetOr(1, Value::String("common"));
  if (!method.is_string() ||
      (method.str() != "common" && method.str() != "ceil" &&
       method.str() != "floor")) {
    return FilterArgumentError("method must be common, ceil or floor");
  }
  if (!v.is_number()) {
    return MakeError(
        ErrorType::kTypeError,
        Cat("type ", v.TypeName(), " doesn't define __round__ method"));
  }
  if (method.str() == "common") {
    if (v.is_integral()) return Value::Int(v.int_value());
    return Value::Float(PyRound(v.float_value(), precision));
  }
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double x = v.float_value() * scale;
  return Value::Float((method.str() == "ceil" ? std::ceil(x) : std::floor(x)) /
                      scale);
}

Result Safe(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_mark_safe");
  return v.is_markup() ? v : Value::Markup(Str(v));
}

// select / reject / selectattr / rejectattr.
absl::StatusOr<std::vector<Value>> SelectOrRejectItems(Interpreter& in,
                                                       const Value& v,
                                                       const CallArgs& args,
                                                       bool select,
                                                       bool lookup_attr) {
  if (!Truthy(v)) return std::vector<Value>{};
  size_t off = 0;
  std::optional<Value> attribute;
  if (lookup_attr) {
    if (args.positional.empty()) {
      return FilterArgumentError("Missing parameter for attribute name");
    }
    attribute = args.positional[0];
    off = 1;
  }
  std::optional<std::string> test;
  CallArgs test_args;
  if (args.positional.size() > off) {
    test = Str(args.positional[off]);
    test_args.positional.assign(args.positional.begin() + off + 1,
                                args.positional.end());
    test_args.keywords = args.keywords;
  }
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, in.Iterate(v));
  std::vector<Value> out;
  for (Value& item : items) {
    Value x = item;
    if (attribute) {
      EDGELLM_ASSIGN_OR_RETURN(x, GetPath(in, item, *attribute, std::nullopt));
    }
    bool ok;
    if (test) {
      EDGELLM_ASSIGN_OR_RETURN(ok, in.CallTest(*test, x, test_args));
    } else {
      ok = Truthy(x);
    }
    if (ok == select) out.push_back(std::move(item));
  }
  return out;
}

Result SelectOrReject(Interpreter& in, const Value& v, const CallArgs& args,
                      bool select, bool lookup_attr) {
  return MakeGenerator(SelectOrRejectItems(in, v, args, select, lookup_attr));
}
Result Select(Interpreter& in, const Value& v, const CallArgs& a) {
  return SelectOrReject(in, v, a, true, false);
}
Result Reject(Interpreter& in, const Value& v, const CallArgs& a) {
  return SelectOrReject(in, v, a, false, false);
}
Result SelectAttr(Interpreter& in, const Value& v, const CallArgs& a) {
  return SelectOrReject(in, v, a, true, true);
}
Result RejectAttr(Interpreter& in, const Value& v, const CallArgs& a) {
  return SelectOrReject(in, v, a, false, true);
}

absl::StatusOr<std::vector<Value>> SliceFilterItems(Interpreter& in,
                                                    const Value& v,
                                                    const CallArgs& args) {
  READ_ARGS(r, "sync_do_slice", "slices", "fill_with");
  EDGELLM_ASSIGN_OR_RETURN(int64_t slices,
                           IntArg(r.GetOr(0, Value()), "integer"));
  const std::optional<Value> fill = r.Get(1);
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> seq, in.Iterate(v));
  if (slices <= 0) {
    return MakeError(ErrorType::kZeroDivisionError,
                     "integer division or modulo by zero");
  }
  slices = std::min<int64_t>(slices, static_cast<int64_t>(in.max_items()));
  EDGELLM_RETURN_IF_ERROR(in.Charge(slices));
  const int64_t length = seq.size();
  const int64_t per = length / slices;
  const int64_t extra = length % slices;
  int64_t offset = 0;
  std::vector<Value> out;
  for (int64_t n = 0; n < slices; ++n) {
    const int64_t start = offset + n * per;
    if (n < extra) ++offset;
    const int64_t end = offset + (n + 1) * per;
    std::vector<Value> tmp(seq.begin() + start, seq.begin() + end);
    if (fill && !fill->is_none() && n >= extra) tmp.push_back(*fill);
    out.push_back(Value::List(std::move(tmp)));
  }
  return out;
}

// Jinja2 writes SliceFilter as a generator: nothing, not even an error, happens
// until something iterates it.
Result SliceFilter(Interpreter& in, const Value& v, const CallArgs& args) {
  return MakeGenerator(SliceFilterItems(in, v, args));
}

Result Sort(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "sync_do_sort", "reverse", "case_sensitive", "attribute");
  const bool reverse = Truthy(r.GetOr(0, Value::Bool(false)));
  const bool case_sensitive = Truthy(r.GetOr(1, Value::Bool(false)));
  const std::optional<Value> attribute = r.Get(2);
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, in.Iterate(v));
  // Several comma-separated attributes sort by a tuple of keys.
  std::vector<Value> attrs;
  if (attribute && attribute->is_string() &&
      attribute->str().find(',') != std::string::npos) {
    for (std::string& part :
         py::Split(attribute->str(), std::string(","), -1)) {
      attrs.push_back(Value::String(py::Strip(part, std::nullopt, true, true)));
    }
  }
  std::vector<std::pair<Value, Value>> keyed;
  for (Value& item : items) {
    Value key;
    if (!attrs.empty()) {
      std::vector<Value> parts;
      for (const Value& a : attrs) {
        EDGELLM_ASSIGN_OR_RETURN(Value k, SortKey(in, item, a, case_sensitive));
        parts.push_back(std::move(k));
      }
      key = Value::List(std::move(parts));
    } else {
      EDGELLM_ASSIGN_OR_RETURN(key,
                               SortKey(in, item, attribute, case_sensitive));
    }
    keyed.emplace_back(std::move(key), std::move(item));
  }
  EDGELLM_RETURN_IF_ERROR(in.Charge(static_cast<int64_t>(keyed.size())));
  EDGELLM_RETURN_IF_ERROR(StableSort(keyed, reverse));
  std::vector<Value> out;
  for (auto& [k, item] : keyed) out.push_back(std::move(item));
  return Value::List(std::move(out));
}

Result StringF(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "soft_str");
  return v.is_string() ? v : Value::String(Str(v));
}

Result StripTags(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_striptags");
  const std::string s = Str(v);
  std::string text;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 4, "<!--") == 0) {
      const size_t end = s.find("-->", i + 4);
      if (end != std::string::npos) {
        i = end + 2;
        continue;
      }
    }
    if (s[i] == '<') {
      const size_t end = s.find('>', i + 1);
      if (end != std::string::npos) {
        i = end;
        continue;
      }
    }
    text.push_back(s[i]);
  }
  std::string out;
  for (const std::string& w : py::Split(text, std::nullopt, -1)) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return Value::String(std::move(out));
}

Result Sum(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "sync_do_sum", "attribute", "start");
  const std::optional<Value> attribute = r.Get(0);
  Value total = r.GetOr(1, Value::Int(0));
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, in.Iterate(v));
  if (total.is_string()) {
    return MakeError(ErrorType::kTypeError,
                     "sum() can't sum strings [use ''.join(seq) instead]");
  }
  for (const Value& item : items) {
    Value x = item;
    if (attribute && !attribute->is_none()) {
      EDGELLM_ASSIGN_OR_RETURN(x, GetPath(in, item, *attribute, std::nullopt));
    }
    EDGELLM_ASSIGN_OR_RETURN(
        total, BinaryOperation(BinaryOp::kAdd, total, x, in.max_bytes(),
                               in.max_items()));
  }
  return total;
}

// Jinja2's title: each run after [-\s({[<]+ starts upper case, the rest is
// lower case.
Result Title(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_title");
  auto is_sep = [](char32_t c) {
    return py::IsSpace(c) || c == '-' || c == '(' || c == '{' || c == '[' ||
           c == '<';
  };
  std::string out;
  bool start = true;
  for (char32_t c : py::Decode(Str(v))) {
    if (is_sep(c)) {
      start = true;
      py::AppendUtf8(out, c);
      continue;
    }
    std::string one;
    py::AppendUtf8(one, c);
    out += start ? py::Upper(one) : py::Lower(one);
    start = false;
  }
  return Value::String(std::move(out));
}

Result ToJson(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "tojson", "ensure_ascii", "indent", "separators", "sort_keys");
  JsonDumpOptions o;
  o.ensure_ascii = Truthy(r.GetOr(0, Value::Bool(false)));
  const Value indent = r.GetOr(1, Value::None());
  if (indent.is_string()) {
    o.indent = indent.str();
  } else if (indent.is_integral()) {
    o.indent =
        std::string(std::clamp<int64_t>(indent.int_value(), 0, 1 << 10), ' ');
  } else if (!indent.is_none()) {
    return MakeError(ErrorType::kTypeError,
                     "indent must be None, an int or a str");
  }
  const Value separators = r.GetOr(2, Value::None());
  if (!separators.is_none()) {
    if (!separators.is_sequence() || separators.items().size() != 2 ||
        !separators.items()[0].is_string() ||
        !separators.items()[1].is_string()) {
      return MakeError(ErrorType::kValueError,
                       "separators must be a pair of strings");
    }
    o.item_separator = separators.items()[0].str();
    o.key_separator = separators.items()[1].str();
  }
  o.sort_keys = Truthy(r.GetOr(3, Value::Bool(false)));
  EDGELLM_ASSIGN_OR_RETURN(std::string s, JsonDumps(v, o, in.max_bytes()));
  EDGELLM_RETURN_IF_ERROR(in.Charge(static_cast<int64_t>(s.size() / 64)));
  return Value::String(std::move(s));
}

Result Trim(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_trim", "chars");
  const Value chars = r.GetOr(0, Value::None());
  std::optional<std::string> set;
  if (chars.is_string()) {
    set = chars.str();
  } else if (!chars.is_none()) {
    return MakeError(ErrorType::kTypeError, "strip arg must be None or str");
  }
  return SameStringKind(v, py::Strip(Str(v), set, true, true));
}

Result Truncate(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_truncate", "length", "killwords", "end", "leeway");
  EDGELLM_ASSIGN_OR_RETURN(int64_t length,
                           IntArg(r.GetOr(0, Value::Int(255)), "integer"));
  const bool killwords = Truthy(r.GetOr(1, Value::Bool(false)));
  const std::string end = Str(r.GetOr(2, Value::String("...")));
  const Value leeway_v = r.GetOr(3, Value::None());
  EDGELLM_ASSIGN_OR_RETURN(
      int64_t leeway,
      IntArg(leeway_v.is_none() ? Value::Int(5) : leeway_v, "integer"));
  const int64_t end_len = py::Length(end);
  if (length < end_len) {
    return MakeError(
        ErrorType::kValueError,
        Cat("AssertionError: expected length >= ", end_len, ", got ", length));
  }
  if (leeway < 0) {
    return MakeError(ErrorType::kValueError,
                     Cat("AssertionError: expected leeway >= 0, got ", leeway));
  }
  const std::u32string s = py::Decode(Str(v));
  if (static_cast<int64_t>(s.size()) <= length + leeway)
    return Value::String(py::Encode(s));
  const std::string head = py::Encode(s.substr(0, length - end_len));
  if (killwords) return Value::String(head + end);
  const size_t space = head.rfind(' ');
  return Value::String(
      (space == std::string::npos ? head : head.substr(0, space)) + end);
}

absl::StatusOr<std::vector<Value>> UniqueItems(Interpreter& in, const Value& v,
                                               const CallArgs& args) {
  READ_ARGS(r, "sync_do_unique", "case_sensitive", "attribute");
  const bool case_sensitive = Truthy(r.GetOr(0, Value::Bool(false)));
  const std::optional<Value> attribute = r.Get(1);
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, in.Iterate(v));
  std::vector<Value> seen;
  std::vector<Value> out;
  for (Value& item : items) {
    EDGELLM_ASSIGN_OR_RETURN(Value key,
                             SortKey(in, item, attribute, case_sensitive));
    if (key.is_list() || key.is_dict()) {
      return MakeError(ErrorType::kTypeError,
                       Cat("unhashable type: '", key.TypeName(), "'"));
    }
    bool dup = false;
    for (const Value& s : seen) dup = dup || Equals(s, key);
    EDGELLM_RETURN_IF_ERROR(in.Charge(static_cast<int64_t>(seen.size() / 16)));
    if (dup) continue;
    seen.push_back(std::move(key));
    out.push_back(std::move(item));
  }
  return out;
}

// Jinja2 writes Unique as a generator: nothing, not even an error, happens
// until something iterates it.
Result Unique(Interpreter& in, const Value& v, const CallArgs& args) {
  return MakeGenerator(UniqueItems(in, v, args));
}

Result WordCount(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_wordcount");
  int64_t n = 0;
  bool in_word = false;
  for (char32_t c : py::Decode(Str(v))) {
    const bool w = c == '_' || py::IsAlnumChar(c);
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Value::Int(n);
}

Result FormatF(Interpreter&, const Value& v, const CallArgs& args) {
  if (!args.positional.empty() && !args.keywords.empty()) {
    return FilterArgumentError(
        "can't handle positional and keyword arguments at the same time");
  }
  Value operand;
  if (!args.keywords.empty()) {
    Dict d;
    for (const auto& [k, val] : args.keywords) d.Set(k, val);
    operand = Value::FromDict(std::move(d));
  } else {
    operand = Value::Tuple(args.positional);
  }
  EDGELLM_ASSIGN_OR_RETURN(std::string s, PercentFormat(Str(v), operand));
  return Value::String(std::move(s));
}

Result GroupBy(Interpreter& in, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "sync_do_groupby", "attribute", "default", "case_sensitive");
  const std::optional<Value> attribute = r.Get(0);
  if (!attribute)
    return MakeError(ErrorType::kTypeError, "groupby() needs an attribute");
  std::optional<Value> fallback = r.Get(1);
  if (fallback && fallback->is_none()) fallback.reset();
  const bool case_sensitive = Truthy(r.GetOr(2, Value::Bool(false)));
  EDGELLM_ASSIGN_OR_RETURN(std::vector<Value> items, in.Iterate(v));
  std::vector<std::pair<Value, Value>> keyed;
  for (Value& item : items) {
    EDGELLM_ASSIGN_OR_RETURN(Value key,
                             GetPath(in, item, *attribute, fallback));
    keyed.emplace_back(case_sensitive ? key : IgnoreCase(key), std::move(item));
  }
  EDGELLM_RETURN_IF_ERROR(StableSort(keyed, false));
  std::vector<Value> out;
  for (size_t i = 0; i < keyed.size();) {
    size_t j = i;
    std::vector<Value> group;
    while (j < keyed.size() && Equals(keyed[j].first, keyed[i].first)) {
      group.push_back(keyed[j].second);
      ++j;
    }
    Value grouper = keyed[i].first;
    if (!case_sensitive) {
      EDGELLM_ASSIGN_OR_RETURN(
          grouper, GetPath(in, keyed[i].second, *attribute, fallback));
    }
    out.push_back(Value::Tuple({grouper, Value::List(std::move(group))}));
    i = j;
  }
  return Value::List(std::move(out));
}

Result FileSizeFormat(Interpreter&, const Value& v, const CallArgs& args) {
  READ_ARGS(r, "do_filesizeformat", "binary");
  const bool binary = Truthy(r.GetOr(0, Value::Bool(false)));
  double bytes;
  if (v.is_number()) {
    bytes = v.float_value();
  } else if (v.is_string() && ParseFloat(v.str())) {
    bytes = *ParseFloat(v.str());
  } else {
    return MakeError(ErrorType::kValueError,
                     Cat("could not convert ", v.TypeName(), " to float"));
  }
  const double base = binary ? 1024 : 1000;
  static const char* kDecimal[] = {"kB", "MB", "GB", "TB",
                                   "PB", "EB", "ZB", "YB"};
  static const char* kBinary[] = {"KiB", "MiB", "GiB", "TiB",
                                  "PiB", "EiB", "ZiB", "YiB"};
  if (bytes == 1) return Value::String("1 Byte");
  if (bytes < base)
    return Value::String(Cat(static_cast<int64_t>(bytes), " Bytes"));
  char buf[64];
  for (int i = 0; i < 8; ++i) {
    const double unit = std::pow(base, i + 2);
    if (bytes < unit || i == 7) {
      std::snprintf(buf, sizeof(buf), "%.1f %s", base * bytes / unit,
                    binary ? kBinary[i] : kDecimal[i]);
      break;
    }
  }
  return Value::String(buf);
}

Result NotSupported(Interpreter&, const Value&, const CallArgs&) {
  return MakeError(ErrorType::kTemplateRuntimeError,
                   "this Jinja2 filter is not supported by this renderer");
}

#undef READ_ARGS

struct FilterEntry {
  std::string_view name;
  FilterFn fn;
};

// Every filter of Jinja2 3.1.2 (jinja2.filters.FILTERS) plus tojson.
constexpr FilterEntry kFilters[] = {
    {"abs", Abs},
    {"attr", Attr},
    {"batch", Batch},
    {"capitalize", Capitalize},
    {"center", Center},
    {"count", Count},
    {"d", Default},
    {"default", Default},
    {"dictsort", DictSort},
    {"e", Escape},
    {"escape", Escape},
    {"filesizeformat", FileSizeFormat},
    {"first", First},
    {"float", Float},
    {"forceescape", ForceEscape},
    {"format", FormatF},
    {"groupby", GroupBy},
    {"indent", Indent},
    {"int", Int},
    {"items", Items},
    {"join", Join},
    {"last", Last},
    {"length", Count},
    {"list", ListFilter},
    {"lower", Lower},
    {"map", Map},
    {"max", Max},
    {"min", Min},
    {"pprint", Pprint},
    {"random", NotSupported},
    {"reject", Reject},
    {"rejectattr", RejectAttr},
    {"replace", Replace},
    {"reverse", Reverse},
    {"round", Round},
    {"safe", Safe},
    {"select", Select},
    {"selectattr", SelectAttr},
    {"slice", SliceFilter},
    {"sort", Sort},
    {"string", StringF},
    {"striptags", StripTags},
    {"sum", Sum},
    {"title", Title},
    {"tojson", ToJson},
    {"trim", Trim},
    {"truncate", Truncate},
    {"unique", Unique},
    {"upper", Upper},
    {"urlencode", NotSupported},
    {"urlize", NotSupported},
    {"wordcount", WordCount},
    {"wordwrap", NotSupported},
    {"xmlattr", NotSupported},
};

}  // namespace

FilterFn FindFilter(std::string_view name) {
  for (const FilterEntry& f : kFilters) {
    if (f.name == name) return f.fn;
  }
  return nullptr;
}

bool IsKnownFilter(std::string_view name) {
  return FindFilter(name) != nullptr;
}

}  // namespace edgellm::chat::jinja
