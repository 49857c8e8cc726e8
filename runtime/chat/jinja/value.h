// The values a Jinja template computes with, modelled on the Python objects
// that Jinja2 hands around: None, bool, int, float, str, list, tuple, dict
// (insertion-ordered), Jinja2's Undefined, and opaque objects (namespaces,
// macros, methods, loop state) that only the interpreter creates.
//
// Values are cheap to copy: strings, lists and dicts are shared by reference
// count. Strings and dicts never change; a list changes only through the
// two methods Jinja2's immutable sandbox still allows (list.pop and
// list.clear), and then every holder sees the change, as in Python. Values
// that hold only None/bool/int/float/str/list/dict may be shared between
// renders running at the same time unless a template pops from one of
// their lists.
#ifndef EDGELLM_RUNTIME_CHAT_JINJA_VALUE_H_
#define EDGELLM_RUNTIME_CHAT_JINJA_VALUE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace edgellm::chat::jinja {

class Value;
class Dict;

// Opaque objects of the interpreter (namespace(), macros, bound methods,
// loop, cycler, ...). Defined by the interpreter; users never see one.
class Object {
 public:
  virtual ~Object() = default;
  // Python's type(obj).__name__, e.g. "Namespace", "Macro".
  virtual std::string_view TypeName() const = 0;
  // Python's "module.Class" as object_type_repr prints it, e.g.
  // "jinja2.utils.Namespace".
  virtual std::string QualifiedTypeName() const {
    return std::string(TypeName());
  }
  // What Python's repr() prints.
  virtual std::string Repr() const = 0;
  virtual bool IsCallable() const { return false; }
  // Python's bool(obj).
  virtual bool IsTruthy() const { return true; }
};

// Why a value is undefined: the message Jinja2's Undefined raises when it is
// used, and whether that use is a SecurityError (unsafe attribute) rather
// than an UndefinedError.
struct UndefinedInfo {
  std::string message;
  bool security = false;
};

class Value {
 public:
  enum class Kind : uint8_t {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kTuple,
    kDict,
    kObject,
  };

  // Undefined with no hint (prints as "", its use raises "'?' is undefined").
  Value() : kind_(Kind::kUndefined), int_(0) {}

  static Value None();
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Float(double f);
  static Value String(std::string s);
  // markupsafe's Markup: a str that `+` and `%` combine with escaped
  // operands (what |safe and |escape return).
  static Value Markup(std::string s);
  static Value List(std::vector<Value> items);
  static Value Tuple(std::vector<Value> items);
  static Value FromDict(Dict dict);
  static Value FromObject(std::shared_ptr<const Object> object);
  static Value Undefined(std::string message, bool security = false);

  // JSON objects keep their key order (ordered_json keeps the document's
  // order; nlohmann::json has already sorted it); integers that fit int64
  // become int, other numbers float.
  static Value FromJson(const nlohmann::ordered_json& json);
  static Value FromJson(const nlohmann::json& json);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_markup() const { return kind_ == Kind::kString && bool_; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kTuple; }
  // A list or a tuple.
  bool is_sequence() const { return is_list() || is_tuple(); }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_object() const { return kind_ == Kind::kObject; }
  // int or bool (Python's bool is an int).
  bool is_integral() const { return is_int() || is_bool(); }
  bool is_number() const { return is_integral() || is_float(); }

  bool bool_value() const { return bool_; }
  int64_t int_value() const { return is_bool() ? (bool_ ? 1 : 0) : int_; }
  double float_value() const {
    return is_float() ? float_ : static_cast<double>(int_value());
  }
  // Only for strings.
  const std::string& str() const;
  // Only for lists and tuples.
  const std::vector<Value>& items() const;
  // Only for lists: the one in-place change the sandbox allows (Python's
  // list.pop() and list.clear()). Every copy of the value sees it.
  std::vector<Value>& mutable_items() const;
  // Only for dicts.
  const Dict& dict() const;
  // Only for objects.
  const Object& object() const;
  std::shared_ptr<const Object> object_ptr() const;
  // The hint of an undefined value ("'x' is undefined" when none was given).
  const UndefinedInfo* undefined_info() const;

  // How deeply lists, tuples and dicts nest inside this value (0 for
  // scalars and objects; an upper bound after list.pop()).
  int container_depth() const {
    return kind_ == Kind::kList || kind_ == Kind::kTuple || kind_ == Kind::kDict
               ? static_cast<int>(int_)
               : 0;
  }

  // Identity of the shared payload (for `is sameas`), or null.
  const void* identity() const { return ptr_.get(); }

  // Python's type(x).__name__: "NoneType", "int", "str", "dict", ...
  std::string_view TypeName() const;

  // The default JSON conversion (dicts in key order); objects and
  // undefined values are errors.
  absl::StatusOr<nlohmann::ordered_json> ToJson() const;

 private:
  Kind kind_;
  union {
    bool bool_;
    int64_t int_;
    double float_;
  };
  std::shared_ptr<const void> ptr_;
};

// An insertion-ordered dict with Python key equality (1 == 1.0 == True).
// Lookups are linear, which is fastest at the sizes templates see.
class Dict {
 public:
  using Entry = std::pair<Value, Value>;

  // Sets key to value; a key already present keeps its position.
  void Set(Value key, Value value);
  void Set(std::string_view key, Value value);
  const Value* Find(const Value& key) const;
  const Value* Find(std::string_view key) const;
  const std::vector<Entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

// Python's truthiness.
bool Truthy(const Value& v);

// Python's == (numbers across int/float/bool, lists, tuples and dicts by
// content, objects by identity; Undefined equals Undefined).
bool Equals(const Value& a, const Value& b);

// Python's str(): what `{{ v }}` prints (undefined prints as "").
std::string Str(const Value& v);
// Python's repr(): strings quoted as Python quotes them.
std::string Repr(const Value& v);

}  // namespace edgellm::chat::jinja

#endif  // EDGELLM_RUNTIME_CHAT_JINJA_VALUE_H_
