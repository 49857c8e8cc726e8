#include "runtime/server/http/rerank_api.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/server/http/json_fields.h"

namespace edgellm::server::http {
namespace {

using nlohmann::json;

absl::Status ReadDocuments(const json& body, RerankCall& call) {
  const json* docs = FindMember(body, "documents");
  if (docs == nullptr) return InvalidField("documents", "required");
  if (!docs->is_array()) return InvalidField("documents", "must be a list");
  // Counted before copying, so a huge list is refused without a copy.
  if (docs->size() > size_t{RequestLimits::kMaxRerankDocuments}) {
    return InvalidField("documents",
                        absl::StrCat(docs->size(), " documents; at most ",
                                     RequestLimits::kMaxRerankDocuments));
  }
  for (size_t i = 0; i < docs->size(); ++i) {
    const json& d = (*docs)[i];
    const json* text = d.is_object() ? FindMember(d, "text") : &d;
    if (text == nullptr || !text->is_string()) {
      return InvalidField(
          absl::StrCat("documents[", i, "]"),
          "must be a string or an object with a string \"text\"");
    }
    call.request.documents.push_back(text->get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status ReadTopN(const json& body, RerankCall& call) {
  const json* v = FindMember(body, "top_n");
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_number_integer() || v->get<int64_t>() < 1) {
    return InvalidField("top_n", "must be a positive integer");
  }
  // More than the documents returns them all (as Cohere does).
  call.top_n = static_cast<int>(
      std::min<int64_t>(v->get<int64_t>(), RequestLimits::kMaxRerankDocuments));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RerankCall> ParseRerankRequest(absl::string_view text) {
  absl::StatusOr<json> parsed = ParseBodyObject(text);
  if (!parsed.ok()) return parsed.status();
  const json& body = *parsed;
  RerankCall call;
  if (absl::Status s = ReadString(body, "model", &call.model); !s.ok()) {
    return s;
  }
  const json* query = FindMember(body, "query");
  if (query == nullptr) return InvalidField("query", "required");
  if (!query->is_string()) return InvalidField("query", "must be a string");
  call.request.query = query->get<std::string>();
  if (absl::Status s = ReadDocuments(body, call); !s.ok()) return s;
  if (absl::Status s = ReadTopN(body, call); !s.ok()) return s;
  if (absl::Status s =
          ReadBool(body, "return_documents", &call.return_documents);
      !s.ok()) {
    return s;
  }
  return call;
}

json RerankJson(const std::vector<float>& scores, int top_n,
                const std::vector<std::string>* documents,
                const std::string& model, int64_t prompt_tokens) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  if (top_n > 0 && order.size() > static_cast<size_t>(top_n)) {
    order.resize(top_n);
  }
  json results = json::array();
  for (size_t i : order) {
    json r = {{"index", i}, {"relevance_score", scores[i]}};
    if (documents != nullptr && i < documents->size()) {
      r["document"] = {{"text", (*documents)[i]}};
    }
    results.push_back(std::move(r));
  }
  return {{"model", model},
          {"object", "list"},
          {"usage",
           {{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}}},
          {"results", std::move(results)}};
}

}  // namespace edgellm::server::http
