#include "runtime/server/http/json_fields.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace edgellm::server::http {

using nlohmann::json;

absl::Status InvalidField(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::StatusOr<json> ParseBodyObject(absl::string_view body) {
  if (body.size() > kMaxBodyBytes) {
    return InvalidField(
        "body", absl::StrCat(body.size(), " bytes; at most ", kMaxBodyBytes));
  }
  json parsed = json::parse(body.begin(), body.end(), nullptr,
                            /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return InvalidField("body", "not valid JSON");
  if (!parsed.is_object()) return InvalidField("body", "not a JSON object");
  return parsed;
}

const json* FindMember(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::Status ReadBool(const json& object, const char* key, bool* out) {
  const json* v = FindMember(object, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_boolean()) return InvalidField(key, "must be true or false");
  *out = v->get<bool>();
  return absl::OkStatus();
}

absl::Status ReadString(const json& object, const char* key, std::string* out) {
  const json* v = FindMember(object, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_string()) return InvalidField(key, "must be a string");
  *out = v->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadNumber(const json& object, const char* key,
                        std::optional<float>* out) {
  const json* v = FindMember(object, key);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_number()) return InvalidField(key, "must be a number");
  *out = static_cast<float>(v->get<double>());
  return absl::OkStatus();
}

absl::Status ReadInteger(const json& object, const char* key,
                         std::optional<int64_t>* out) {
  const json* v = FindMember(object, key);
  if (v == nullptr) return absl::OkStatus();
  if (v->is_number_unsigned()) {
    if (v->get<uint64_t>() >
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return InvalidField(key, "is out of range");
    }
    *out = static_cast<int64_t>(v->get<uint64_t>());
    return absl::OkStatus();
  }
  if (!v->is_number_integer()) return InvalidField(key, "must be an integer");
  *out = v->get<int64_t>();
  return absl::OkStatus();
}

}  // namespace edgellm::server::http
