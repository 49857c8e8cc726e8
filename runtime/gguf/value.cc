// gguf::Value: validation and indexing of metadata values at parse time, and
// typed decoding afterwards.
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "runtime/gguf/gguf.h"
#include "runtime/gguf/internal/cursor.h"
#include "runtime/gguf/internal/sv.h"
#include "runtime/gguf/internal/value_rep.h"
#include "runtime/gguf/types.h"

namespace edgellm::gguf {
using internal::Sv;
namespace internal {
namespace {

// Smallest encodings of a variable-size array element: a string is at least
// its uint64 length; an array at least its uint32 type and uint64 count.
// They bound an untrusted element count by the bytes that remain.
constexpr uint64_t kMinStringBytes = 8;
constexpr uint64_t kMinArrayBytes = 4 + 8;

absl::Status CheckBools(const uint8_t* p, uint64_t n, uint64_t offset) {
  for (uint64_t i = 0; i < n; ++i) {
    // docs/gguf.md: "1-byte value where 0 is false and 1 is true. Anything
    // else is invalid".
    if (p[i] > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("bool at byte ", offset + i, " is ",
                       static_cast<int>(p[i]), "; must be 0 or 1"));
    }
  }
  return absl::OkStatus();
}

// Validates one value (type tag already consumed) and advances past it. When
// `rep` is non-null, fills it in (and indexes an array's elements).
absl::Status Walk(Cursor& c, ValueType type, int depth, Value::Rep* rep) {
  const uint64_t start = c.pos();
  const uint8_t* raw = c.here();
  switch (type) {
    case ValueType::kString: {
      absl::StatusOr<std::string_view> s = c.ReadString("string value");
      if (!s.ok()) return s.status();
      break;
    }
    case ValueType::kArray: {
      const uint64_t array_at = c.offset();
      if (depth + 1 > kMaxArrayDepth) {
        return absl::InvalidArgumentError(
            absl::StrCat("array at byte ", array_at, " is nested ", depth + 1,
                         " deep; at most ", kMaxArrayDepth, " levels allowed"));
      }
      absl::StatusOr<uint32_t> code = c.Read<uint32_t>("array element type");
      if (!code.ok()) return code.status();
      if (!IsKnownValueType(*code)) {
        return absl::InvalidArgumentError(
            absl::StrCat("array at byte ", array_at,
                         " has unknown element type code ", *code));
      }
      const ValueType elem = static_cast<ValueType>(*code);
      absl::StatusOr<uint64_t> count = c.Read<uint64_t>("array length");
      if (!count.ok()) return count.status();
      const uint64_t fixed = ScalarValueSize(elem);
      const uint64_t min_size = fixed != 0                   ? fixed
                                : elem == ValueType::kString ? kMinStringBytes
                                                             : kMinArrayBytes;
      if (*count > c.remaining() / min_size) {
        return absl::DataLossError(absl::StrCat(
            "array at byte ", array_at, " claims ", *count, " ",
            Sv(ValueTypeName(elem)), " elements (at least ", min_size,
            " bytes each) but only ", c.remaining(), " bytes remain"));
      }
      const uint8_t* elements = c.here();
      const uint64_t elements_pos = c.pos();
      if (rep != nullptr) {
        rep->element_type = elem;
        rep->count = *count;
        rep->elements = elements;
        rep->element_size = fixed;
      }
      if (fixed != 0) {
        const uint64_t elements_offset = c.offset();
        if (absl::Status s = c.Skip(*count * fixed, "array elements");
            !s.ok()) {
          return s;
        }
        if (elem == ValueType::kBool) {
          if (absl::Status s = CheckBools(elements, *count, elements_offset);
              !s.ok()) {
            return s;
          }
        }
        break;
      }
      if (rep != nullptr) rep->element_offsets.reserve(*count + 1);
      for (uint64_t i = 0; i < *count; ++i) {
        if (rep != nullptr) {
          rep->element_offsets.push_back(c.pos() - elements_pos);
        }
        if (absl::Status s = Walk(c, elem, depth + 1, nullptr); !s.ok()) {
          return s;
        }
      }
      if (rep != nullptr)
        rep->element_offsets.push_back(c.pos() - elements_pos);
      break;
    }
    default: {
      if (!IsKnownValueType(static_cast<uint32_t>(type))) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown value type code ",
                         static_cast<uint32_t>(type), " at byte ", c.offset()));
      }
      const uint64_t at = c.offset();
      if (absl::Status s =
              c.Skip(ScalarValueSize(type),
                     absl::StrCat(Sv(ValueTypeName(type)), " value"));
          !s.ok()) {
        return s;
      }
      if (type == ValueType::kBool) {
        if (absl::Status s = CheckBools(raw, 1, at); !s.ok()) return s;
      }
      break;
    }
  }
  if (rep != nullptr) {
    rep->type = type;
    rep->raw = raw;
    rep->raw_size = c.pos() - start;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Value::Rep>> ParseValue(Cursor& cursor,
                                                             ValueType type,
                                                             int depth) {
  auto rep = std::make_shared<Value::Rep>();
  if (absl::Status s = Walk(cursor, type, depth, rep.get()); !s.ok()) return s;
  return rep;
}

}  // namespace internal

namespace {

template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

bool IsInteger(ValueType t) {
  switch (t) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kUint16:
    case ValueType::kInt16:
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kUint64:
    case ValueType::kInt64:
      return true;
    default:
      return false;
  }
}

// The integer (or bool as 0/1) stored at p. Caller checked the type.
absl::int128 IntegerAt(ValueType t, const uint8_t* p) {
  switch (t) {
    case ValueType::kUint8:
    case ValueType::kBool:
      return Load<uint8_t>(p);
    case ValueType::kInt8:
      return Load<int8_t>(p);
    case ValueType::kUint16:
      return Load<uint16_t>(p);
    case ValueType::kInt16:
      return Load<int16_t>(p);
    case ValueType::kUint32:
      return Load<uint32_t>(p);
    case ValueType::kInt32:
      return Load<int32_t>(p);
    case ValueType::kUint64:
      return Load<uint64_t>(p);
    case ValueType::kInt64:
      return Load<int64_t>(p);
    default:
      return 0;
  }
}

double FloatAt(ValueType t, const uint8_t* p) {
  if (t == ValueType::kFloat32) return Load<float>(p);
  if (t == ValueType::kFloat64) return Load<double>(p);
  const absl::int128 v = IntegerAt(t, p);
  if (v < 0) return static_cast<double>(static_cast<int64_t>(v));
  return static_cast<double>(static_cast<uint64_t>(v));
}

std::string Describe(const Value::Rep& r) {
  if (r.type == ValueType::kArray) {
    return absl::StrCat("array of ", Sv(ValueTypeName(r.element_type)));
  }
  return std::string(Sv(ValueTypeName(r.type)));
}

std::string ToString(absl::int128 v) {
  if (v < 0) return absl::StrCat(static_cast<int64_t>(v));
  return absl::StrCat(static_cast<uint64_t>(v));
}

const Value::Rep& EmptyRep() {
  static const Value::Rep* const kEmpty = new Value::Rep();
  return *kEmpty;
}

}  // namespace

Value::Value(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}

const Value::Rep* Value::rep() const {
  return rep_ != nullptr ? rep_.get() : &EmptyRep();
}

ValueType Value::type() const { return rep()->type; }

ValueType Value::element_type() const {
  return rep()->type == ValueType::kArray ? rep()->element_type : rep()->type;
}

uint64_t Value::size() const {
  return rep()->type == ValueType::kArray ? rep()->count : 0;
}

absl::StatusOr<int64_t> Value::GetInt() const {
  const Rep& r = *rep();
  if (!IsInteger(r.type) && r.type != ValueType::kBool) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected an integer, found ", Describe(r)));
  }
  const absl::int128 v = IntegerAt(r.type, r.raw);
  if (v > std::numeric_limits<int64_t>::max()) {
    return absl::OutOfRangeError(absl::StrCat(Sv(ValueTypeName(r.type)),
                                              " value ", ToString(v),
                                              " does not fit int64"));
  }
  return static_cast<int64_t>(v);
}

absl::StatusOr<uint64_t> Value::GetUint() const {
  const Rep& r = *rep();
  if (!IsInteger(r.type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected an unsigned integer, found ", Describe(r)));
  }
  const absl::int128 v = IntegerAt(r.type, r.raw);
  if (v < 0) {
    return absl::OutOfRangeError(absl::StrCat(
        Sv(ValueTypeName(r.type)), " value ", ToString(v), " is negative"));
  }
  return static_cast<uint64_t>(v);
}

absl::StatusOr<double> Value::GetFloat() const {
  const Rep& r = *rep();
  if (!IsInteger(r.type) && r.type != ValueType::kFloat32 &&
      r.type != ValueType::kFloat64) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a number, found ", Describe(r)));
  }
  return FloatAt(r.type, r.raw);
}

absl::StatusOr<bool> Value::GetBool() const {
  const Rep& r = *rep();
  if (r.type != ValueType::kBool) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a bool, found ", Describe(r)));
  }
  return r.raw[0] != 0;
}

absl::StatusOr<std::string_view> Value::GetString() const {
  const Rep& r = *rep();
  if (r.type != ValueType::kString) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a string, found ", Describe(r)));
  }
  return std::string_view(reinterpret_cast<const char*>(r.raw) + 8,
                          r.raw_size - 8);
}

absl::StatusOr<std::vector<std::string_view>> Value::GetStringArray() const {
  const Rep& r = *rep();
  if (r.type != ValueType::kArray || r.element_type != ValueType::kString) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected an array of string, found ", Describe(r)));
  }
  std::vector<std::string_view> out;
  out.reserve(r.count);
  for (uint64_t i = 0; i < r.count; ++i) {
    const uint8_t* p = r.elements + r.element_offsets[i];
    out.emplace_back(reinterpret_cast<const char*>(p) + 8, Load<uint64_t>(p));
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> Value::GetIntArray() const {
  const Rep& r = *rep();
  if (r.type != ValueType::kArray ||
      (!IsInteger(r.element_type) && r.element_type != ValueType::kBool)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected an array of integers, found ", Describe(r)));
  }
  std::vector<int64_t> out(r.count);
  if (r.element_type == ValueType::kInt32) {
    for (uint64_t i = 0; i < r.count; ++i) {
      out[i] = Load<int32_t>(r.elements + 4 * i);
    }
    return out;
  }
  for (uint64_t i = 0; i < r.count; ++i) {
    const absl::int128 v =
        IntegerAt(r.element_type, r.elements + i * r.element_size);
    if (v > std::numeric_limits<int64_t>::max()) {
      return absl::OutOfRangeError(absl::StrCat("element ", i,
                                                ": uint64 value ", ToString(v),
                                                " does not fit int64"));
    }
    out[i] = static_cast<int64_t>(v);
  }
  return out;
}

absl::StatusOr<std::vector<float>> Value::GetFloatArray() const {
  const Rep& r = *rep();
  if (r.type != ValueType::kArray ||
      (!IsInteger(r.element_type) && r.element_type != ValueType::kFloat32 &&
       r.element_type != ValueType::kFloat64)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected an array of numbers, found ", Describe(r)));
  }
  std::vector<float> out(r.count);
  if (r.element_type == ValueType::kFloat32) {
    if (r.count != 0) std::memcpy(out.data(), r.elements, 4 * r.count);
    return out;
  }
  for (uint64_t i = 0; i < r.count; ++i) {
    out[i] = static_cast<float>(
        FloatAt(r.element_type, r.elements + i * r.element_size));
  }
  return out;
}

absl::StatusOr<Value> Value::GetElement(uint64_t index) const {
  const Rep& r = *rep();
  if (r.type != ValueType::kArray) {
    return absl::InvalidArgumentError(
        absl::StrCat("GetElement on a ", Describe(r), ", not an array"));
  }
  if (index >= r.count) {
    return absl::OutOfRangeError(absl::StrCat(
        "element ", index, " of an array of ", r.count, " elements"));
  }
  if (r.element_size != 0) {
    auto elem = std::make_shared<Rep>();
    elem->type = r.element_type;
    elem->raw = r.elements + index * r.element_size;
    elem->raw_size = r.element_size;
    return Value(std::move(elem));
  }
  // A string or nested array: validated at parse time; re-walking its extent
  // builds its own element index.
  const uint64_t begin = r.element_offsets[index];
  internal::Cursor c(r.elements + begin, r.element_offsets[index + 1] - begin);
  absl::StatusOr<std::shared_ptr<const Rep>> elem =
      internal::ParseValue(c, r.element_type, /*depth=*/0);
  if (!elem.ok()) return elem.status();
  return Value(*std::move(elem));
}

}  // namespace edgellm::gguf
