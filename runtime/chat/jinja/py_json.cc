#include "runtime/chat/jinja/py_json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "runtime/chat/jinja/error.h"
#include "runtime/chat/jinja/operators.h"
#include "runtime/chat/jinja/py_str.h"
#include "runtime/chat/jinja/str_cat.h"

namespace edgellm::chat::jinja {
namespace {

// Python's encoder raises RecursionError near its stack limit.
constexpr int kMaxJsonDepth = 500;

void AppendEscaped(std::string& out, std::string_view s, bool ensure_ascii) {
  out.push_back('"');
  char buf[16];
  auto u16 = [&](unsigned v) {
    std::snprintf(buf, sizeof(buf), "\\u%04x", v);
    out += buf;
  };
  for (char32_t c : py::Decode(s)) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || (ensure_ascii && c >= 0x7F)) {
          if (c >= 0x10000) {
            const unsigned v = c - 0x10000;
            u16(0xD800 | (v >> 10));
            u16(0xDC00 | (v & 0x3FF));
          } else {
            u16(c);
          }
        } else {
          py::AppendUtf8(out, c);
        }
    }
  }
  out.push_back('"');
}

std::string FloatJson(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return py::FloatRepr(d);
}

class Encoder {
 public:
  Encoder(const JsonDumpOptions& o, size_t max_bytes)
      : o_(o), max_bytes_(max_bytes) {
    item_sep_ = o.item_separator ? *o.item_separator : (o.indent ? "," : ", ");
    key_sep_ = o.key_separator ? *o.key_separator : ": ";
  }

  absl::Status Encode(const Value& v, int depth) {
    if (depth > kMaxJsonDepth) {
      return MakeError(
          ErrorType::kLimitExceeded,
          "maximum recursion depth exceeded while encoding a JSON object");
    }
    if (out.size() > max_bytes_) {
      return MakeError(ErrorType::kLimitExceeded,
                       "tojson result larger than the output limit");
    }
    switch (v.kind()) {
      case Value::Kind::kNone:
        out += "null";
        return absl::OkStatus();
      case Value::Kind::kBool:
        out += v.bool_value() ? "true" : "false";
        return absl::OkStatus();
      case Value::Kind::kInt:
        out += Cat(v.int_value());
        return absl::OkStatus();
      case Value::Kind::kFloat:
        out += FloatJson(v.float_value());
        return absl::OkStatus();
      case Value::Kind::kString:
        AppendEscaped(out, v.str(), o_.ensure_ascii);
        return absl::OkStatus();
      case Value::Kind::kList:
      case Value::Kind::kTuple:
        return EncodeList(v.items(), depth);
      case Value::Kind::kDict:
        return EncodeDict(v.dict(), depth);
      default:
        return MakeError(
            ErrorType::kTypeError,
            Cat("Object of type ", v.TypeName(), " is not JSON serializable"));
    }
  }

  std::string out;

 private:
  void NewLine(int level) {
    if (!o_.indent) return;
    out.push_back('\n');
    for (int i = 0; i < level; ++i) out += *o_.indent;
  }

  absl::Status EncodeList(const std::vector<Value>& items, int depth) {
    if (items.empty()) {
      out += "[]";
      return absl::OkStatus();
    }
    out.push_back('[');
    NewLine(depth + 1);
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) {
        out += item_sep_;
        NewLine(depth + 1);
      }
      absl::Status s = Encode(items[i], depth + 1);
      if (!s.ok()) return s;
    }
    NewLine(depth);
    out.push_back(']');
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Key(const Value& k) {
    switch (k.kind()) {
      case Value::Kind::kString:
        return k.str();
      case Value::Kind::kFloat:
        return FloatJson(k.float_value());
      case Value::Kind::kBool:
        return std::string(k.bool_value() ? "true" : "false");
      case Value::Kind::kNone:
        return std::string("null");
      case Value::Kind::kInt:
        return Cat(k.int_value());
      default:
        return MakeError(ErrorType::kTypeError,
                         Cat("keys must be str, int, float, bool or None, not ",
                             k.TypeName()));
    }
  }

  absl::Status EncodeDict(const Dict& d, int depth) {
    if (d.empty()) {
      out += "{}";
      return absl::OkStatus();
    }
    std::vector<const Dict::Entry*> entries;
    for (const auto& e : d.entries()) entries.push_back(&e);
    if (o_.sort_keys) {
      absl::Status error;
      std::stable_sort(entries.begin(), entries.end(),
                       [&error](const Dict::Entry* a, const Dict::Entry* b) {
                         auto lt = LessThan(a->first, b->first);
                         if (!lt.ok()) {
                           if (error.ok()) error = lt.status();
                           return false;
                         }
                         return *lt;
                       });
      if (!error.ok()) return error;
    }
    out.push_back('{');
    NewLine(depth + 1);
    bool first = true;
    for (const Dict::Entry* e : entries) {
      if (!first) {
        out += item_sep_;
        NewLine(depth + 1);
      }
      first = false;
      auto key = Key(e->first);
      if (!key.ok()) return key.status();
      AppendEscaped(out, *key, o_.ensure_ascii);
      out += key_sep_;
      absl::Status s = Encode(e->second, depth + 1);
      if (!s.ok()) return s;
    }
    NewLine(depth);
    out.push_back('}');
    return absl::OkStatus();
  }

  const JsonDumpOptions& o_;
  size_t max_bytes_;
  std::string item_sep_;
  std::string key_sep_;
};

}  // namespace

absl::StatusOr<std::string> JsonDumps(const Value& v,
                                      const JsonDumpOptions& options,
                                      size_t max_bytes) {
  Encoder e(options, max_bytes);
  absl::Status s = e.Encode(v, 0);
  if (!s.ok()) return s;
  if (e.out.size() > max_bytes) {
    return MakeError(ErrorType::kLimitExceeded,
                     "tojson result larger than the output limit");
  }
  return std::move(e.out);
}

}  // namespace edgellm::chat::jinja
