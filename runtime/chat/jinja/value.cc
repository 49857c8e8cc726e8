#include "runtime/chat/jinja/value.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "runtime/chat/jinja/py_str.h"
#include "runtime/chat/jinja/str_cat.h"

namespace edgellm::chat::jinja {
namespace {

struct ListRep {
  std::vector<Value> items;
};

// Containers nested deeper than this print as "..." (only a namespace can
// make a cycle, and Python prints cycles as "{...}").
constexpr int kMaxReprDepth = 100;

template <typename Json>
Value FromJsonImpl(const Json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return Value::None();
    case nlohmann::json::value_t::boolean:
      return Value::Bool(j.template get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value::Int(j.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const auto u = j.template get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Value::Int(static_cast<int64_t>(u));
      }
      return Value::Float(static_cast<double>(u));
    }
    case nlohmann::json::value_t::number_float:
      return Value::Float(j.template get<double>());
    case nlohmann::json::value_t::string:
      return Value::String(j.template get<std::string>());
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(FromJsonImpl(e));
      return Value::List(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      Dict d;
      for (auto it = j.begin(); it != j.end(); ++it) {
        d.Set(it.key(), FromJsonImpl(it.value()));
      }
      return Value::FromDict(std::move(d));
    }
    default:
      return Value::None();
  }
}

void AppendRepr(const Value& v, std::string& out, int depth);

void AppendItems(const std::vector<Value>& items, std::string& out, int depth) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    AppendRepr(items[i], out, depth + 1);
  }
}

void AppendRepr(const Value& v, std::string& out, int depth) {
  if (depth > kMaxReprDepth) {
    out += "...";
    return;
  }
  switch (v.kind()) {
    case Value::Kind::kString:
      if (v.is_markup()) {
        out += "Markup(" + py::StringRepr(v.str()) + ")";
      } else {
        out += py::StringRepr(v.str());
      }
      return;
    case Value::Kind::kList:
      out += '[';
      AppendItems(v.items(), out, depth);
      out += ']';
      return;
    case Value::Kind::kTuple:
      out += '(';
      AppendItems(v.items(), out, depth);
      if (v.items().size() == 1) out += ',';
      out += ')';
      return;
    case Value::Kind::kDict: {
      out += '{';
      bool first = true;
      for (const auto& [k, val] : v.dict().entries()) {
        if (!first) out += ", ";
        first = false;
        AppendRepr(k, out, depth + 1);
        out += ": ";
        AppendRepr(val, out, depth + 1);
      }
      out += '}';
      return;
    }
    case Value::Kind::kUndefined:
      out += "Undefined";
      return;
    default:
      out += Str(v);
      return;
  }
}

}  // namespace

Value Value::None() {
  Value v;
  v.kind_ = Kind::kNone;
  return v;
}

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.int_ = 0;
  v.bool_ = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = Kind::kInt;
  v.int_ = i;
  return v;
}

Value Value::Float(double f) {
  Value v;
  v.kind_ = Kind::kFloat;
  v.float_ = f;
  return v;
}

Value Value::Markup(std::string s) {
  Value v = String(std::move(s));
  v.bool_ = true;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.int_ = 0;
  v.ptr_ = std::make_shared<const std::string>(std::move(s));
  return v;
}

Value Value::List(std::vector<Value> items) {
  Value v;
  v.kind_ = Kind::kList;
  int depth = 0;
  for (const Value& e : items) depth = std::max(depth, e.container_depth());
  v.int_ = depth + 1;
  // Not const: list.pop() and list.clear(), which the sandbox allows,
  // change a list in place.
  v.ptr_ = std::make_shared<std::vector<Value>>(std::move(items));
  return v;
}

Value Value::Tuple(std::vector<Value> items) {
  Value v = List(std::move(items));
  v.kind_ = Kind::kTuple;
  return v;
}

Value Value::FromDict(Dict dict) {
  Value v;
  v.kind_ = Kind::kDict;
  int depth = 0;
  for (const auto& [k, val] : dict.entries()) {
    depth = std::max({depth, k.container_depth(), val.container_depth()});
  }
  v.int_ = depth + 1;
  v.ptr_ = std::make_shared<const Dict>(std::move(dict));
  return v;
}

Value Value::FromObject(std::shared_ptr<const Object> object) {
  Value v;
  v.kind_ = Kind::kObject;
  v.ptr_ = std::move(object);
  return v;
}

Value Value::Undefined(std::string message, bool security) {
  Value v;
  v.ptr_ = std::make_shared<const UndefinedInfo>(
      UndefinedInfo{std::move(message), security});
  return v;
}

Value Value::FromJson(const nlohmann::ordered_json& json) {
  return FromJsonImpl(json);
}
Value Value::FromJson(const nlohmann::json& json) { return FromJsonImpl(json); }

const std::string& Value::str() const {
  return *static_cast<const std::string*>(ptr_.get());
}
const std::vector<Value>& Value::items() const {
  return *static_cast<const std::vector<Value>*>(ptr_.get());
}
std::vector<Value>& Value::mutable_items() const {
  return *const_cast<std::vector<Value>*>(
      static_cast<const std::vector<Value>*>(ptr_.get()));
}
const Dict& Value::dict() const {
  return *static_cast<const Dict*>(ptr_.get());
}
const Object& Value::object() const {
  return *static_cast<const Object*>(ptr_.get());
}
std::shared_ptr<const Object> Value::object_ptr() const {
  return std::static_pointer_cast<const Object>(ptr_);
}
const UndefinedInfo* Value::undefined_info() const {
  return is_undefined() ? static_cast<const UndefinedInfo*>(ptr_.get())
                        : nullptr;
}

std::string_view Value::TypeName() const {
  switch (kind_) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return is_markup() ? "Markup" : "str";
    case Kind::kList:
      return "list";
    case Kind::kTuple:
      return "tuple";
    case Kind::kDict:
      return "dict";
    case Kind::kObject:
      return object().TypeName();
  }
  return "object";
}

absl::StatusOr<nlohmann::ordered_json> Value::ToJson() const {
  switch (kind_) {
    case Kind::kNone:
      return nlohmann::ordered_json(nullptr);
    case Kind::kBool:
      return nlohmann::ordered_json(bool_);
    case Kind::kInt:
      return nlohmann::ordered_json(int_);
    case Kind::kFloat:
      return nlohmann::ordered_json(float_);
    case Kind::kString:
      return nlohmann::ordered_json(str());
    case Kind::kList:
    case Kind::kTuple: {
      auto arr = nlohmann::ordered_json::array();
      for (const Value& e : items()) {
        auto j = e.ToJson();
        if (!j.ok()) return j.status();
        arr.push_back(*std::move(j));
      }
      return arr;
    }
    case Kind::kDict: {
      auto obj = nlohmann::ordered_json::object();
      for (const auto& [k, val] : dict().entries()) {
        auto j = val.ToJson();
        if (!j.ok()) return j.status();
        obj[k.is_string() ? k.str() : Str(k)] = *std::move(j);
      }
      return obj;
    }
    default:
      return absl::InvalidArgumentError(
          Cat("Object of type ", TypeName(), " is not JSON serializable"));
  }
}

void Dict::Set(Value key, Value value) {
  for (auto& e : entries_) {
    if (Equals(e.first, key)) {
      e.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

void Dict::Set(std::string_view key, Value value) {
  for (auto& e : entries_) {
    if (e.first.is_string() && e.first.str() == key) {
      e.second = std::move(value);
      return;
    }
  }
  entries_.emplace_back(Value::String(std::string(key)), std::move(value));
}

const Value* Dict::Find(const Value& key) const {
  if (key.is_string()) return Find(std::string_view(key.str()));
  for (const auto& e : entries_) {
    if (Equals(e.first, key)) return &e.second;
  }
  return nullptr;
}

const Value* Dict::Find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.first.is_string() && e.first.str() == key) return &e.second;
  }
  return nullptr;
}

bool Truthy(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return false;
    case Value::Kind::kBool:
      return v.bool_value();
    case Value::Kind::kInt:
      return v.int_value() != 0;
    case Value::Kind::kFloat:
      return v.float_value() != 0.0;
    case Value::Kind::kString:
      return !v.str().empty();
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      return !v.items().empty();
    case Value::Kind::kDict:
      return !v.dict().empty();
    case Value::Kind::kObject:
      return v.object().IsTruthy();
  }
  return false;
}

namespace {

// Python raises RecursionError comparing structures this deep; the
// interpreter keeps values shallower than this anyway.
constexpr int kMaxCompareDepth = 1000;

bool EqualsAt(const Value& a, const Value& b, int depth);

}  // namespace

bool Equals(const Value& a, const Value& b) { return EqualsAt(a, b, 0); }

namespace {

bool EqualsAt(const Value& a, const Value& b, int depth) {
  if (depth > kMaxCompareDepth) return false;
  if (a.is_number() && b.is_number()) {
    if (a.is_integral() && b.is_integral())
      return a.int_value() == b.int_value();
    return a.float_value() == b.float_value();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kString:
      return a.str() == b.str();
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      const auto& x = a.items();
      const auto& y = b.items();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!EqualsAt(x[i], y[i], depth + 1)) return false;
      }
      return true;
    }
    case Value::Kind::kDict: {
      if (a.dict().size() != b.dict().size()) return false;
      for (const auto& [k, val] : a.dict().entries()) {
        const Value* other = b.dict().Find(k);
        if (other == nullptr || !EqualsAt(val, *other, depth + 1)) return false;
      }
      return true;
    }
    case Value::Kind::kObject:
      return a.identity() == b.identity();
    default:
      return false;
  }
}

}  // namespace

std::string Str(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return "";
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return v.bool_value() ? "True" : "False";
    case Value::Kind::kInt:
      return Cat(v.int_value());
    case Value::Kind::kFloat:
      return py::FloatRepr(v.float_value());
    case Value::Kind::kString:
      return v.str();
    case Value::Kind::kObject:
      return v.object().Repr();
    default: {
      std::string out;
      AppendRepr(v, out, 0);
      return out;
    }
  }
}

std::string Repr(const Value& v) {
  std::string out;
  AppendRepr(v, out, 0);
  return out;
}

}  // namespace edgellm::chat::jinja
