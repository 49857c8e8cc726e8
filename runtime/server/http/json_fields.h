// Reading the fields of the HTTP API's JSON request bodies (the OpenAI
// routes in openai_request.cc and openai_tools.cc, /v1/rerank in
// rerank_api.cc) the same way everywhere: the body parsed once, within
// kMaxBodyBytes, as one object; members found without copying; optional
// members of a fixed type; and INVALID_ARGUMENT errors whose message starts
// with the field ("top_n: must be a positive integer"), which the server
// returns as a 400 body naming the field.
#ifndef EDGELLM_RUNTIME_SERVER_HTTP_JSON_FIELDS_H_
#define EDGELLM_RUNTIME_SERVER_HTTP_JSON_FIELDS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace edgellm::server::http {

// Bodies larger than this are refused before parsing (413).
inline constexpr size_t kMaxBodyBytes = size_t{8} << 20;

// INVALID_ARGUMENT "<field>: <what>".
absl::Status InvalidField(absl::string_view field, absl::string_view what);

// `body` parsed as a JSON object. INVALID_ARGUMENT naming "body" when it is
// larger than kMaxBodyBytes, not JSON, or not an object.
absl::StatusOr<nlohmann::json> ParseBodyObject(absl::string_view body);

// The member `key` of `object`, or nullptr when absent or null (clients send
// null for "not given"). Never copies: a hostile value may nest deeply, and
// copying recurses.
const nlohmann::json* FindMember(const nlohmann::json& object, const char* key);

// Optional members of one type: absent or null leaves `*out` as it was; a
// value of another type is INVALID_ARGUMENT naming `key`.
absl::Status ReadBool(const nlohmann::json& object, const char* key, bool* out);
absl::Status ReadString(const nlohmann::json& object, const char* key,
                        std::string* out);
// Any JSON number, narrowed to float.
absl::Status ReadNumber(const nlohmann::json& object, const char* key,
                        std::optional<float>* out);
// An integer that fits int64 ("is out of range" beyond it).
absl::Status ReadInteger(const nlohmann::json& object, const char* key,
                         std::optional<int64_t>* out);

}  // namespace edgellm::server::http

#endif  // EDGELLM_RUNTIME_SERVER_HTTP_JSON_FIELDS_H_
