#include "runtime/server/http/rerank_api.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/server/http/openai_request.h"

namespace edgellm::server::http {
namespace {

using nlohmann::json;

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// `key` of `body`, or nullptr when absent or null.
const json* Field(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::Status ReadDocuments(const json& body, RerankCall& call) {
  const json* docs = Field(body, "documents");
  if (docs == nullptr) return Invalid("documents", "required");
  if (!docs->is_array()) return Invalid("documents", "must be a list");
  // Counted before copying, so a huge list is refused without a copy.
  if (docs->size() > size_t{RequestLimits::kMaxRerankDocuments}) {
    return Invalid("documents",
                   absl::StrCat(docs->size(), " documents; at most ",
                                RequestLimits::kMaxRerankDocuments));
  }
  for (size_t i = 0; i < docs->size(); ++i) {
    const json& d = (*docs)[i];
    const json* text = d.is_object() ? Field(d, "text") : &d;
    if (text == nullptr || !text->is_string()) {
      return Invalid(absl::StrCat("documents[", i, "]"),
                     "must be a string or an object with a string \"text\"");
    }
    call.request.documents.push_back(text->get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status ReadTopN(const json& body, RerankCall& call) {
  const json* v = Field(body, "top_n");
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_number_integer() || v->get<int64_t>() < 1) {
    return Invalid("top_n", "must be a positive integer");
  }
  // More than the documents returns them all (as Cohere does).
  call.top_n = static_cast<int>(
      std::min<int64_t>(v->get<int64_t>(), RequestLimits::kMaxRerankDocuments));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RerankCall> ParseRerankRequest(absl::string_view text) {
  if (text.size() > kMaxBodyBytes) {
    return Invalid(
        "body", absl::StrCat(text.size(), " bytes; at most ", kMaxBodyBytes));
  }
  const json body = json::parse(text.begin(), text.end(), nullptr,
                                /*allow_exceptions=*/false);
  if (body.is_discarded()) return Invalid("body", "not valid JSON");
  if (!body.is_object()) return Invalid("body", "not a JSON object");
  RerankCall call;
  if (const json* m = Field(body, "model")) {
    if (!m->is_string()) return Invalid("model", "must be a string");
    call.model = m->get<std::string>();
  }
  const json* query = Field(body, "query");
  if (query == nullptr) return Invalid("query", "required");
  if (!query->is_string()) return Invalid("query", "must be a string");
  call.request.query = query->get<std::string>();
  if (absl::Status s = ReadDocuments(body, call); !s.ok()) return s;
  if (absl::Status s = ReadTopN(body, call); !s.ok()) return s;
  if (const json* r = Field(body, "return_documents")) {
    if (!r->is_boolean()) {
      return Invalid("return_documents", "must be true or false");
    }
    call.return_documents = r->get<bool>();
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
