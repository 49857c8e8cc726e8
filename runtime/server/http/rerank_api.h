// POST /v1/rerank: the rerank API of Jina and Cohere (which llama.cpp's and
// vLLM's servers also answer) over Engine::SubmitRerank.
//
// Request: {"model", "query", "documents": [string or {"text": string}],
// "top_n", "return_documents"}. Unknown fields are ignored. Limits are the
// gRPC Rerank's (RequestLimits: at most kMaxRerankDocuments documents, each
// query and document pair within the context, kMaxEmbedTokens over all).
// Response: {"model", "object": "list", "usage": {"prompt_tokens",
// "total_tokens"}, "results": [{"index", "relevance_score"[, "document":
// {"text"}]}]}, most relevant first (ties keep input order), at most top_n
// of them. The score is the cross-encoder's raw logit, as the gRPC Rerank
// and llama.cpp's server return it (Cohere's is a probability in [0, 1]:
// apply a sigmoid for that).
#ifndef EDGELLM_RUNTIME_SERVER_HTTP_RERANK_API_H_
#define EDGELLM_RUNTIME_SERVER_HTTP_RERANK_API_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "runtime/engine/edgellm.h"

namespace edgellm::server::http {

struct RerankCall {
  std::string model;  // asked for; "" = not given
  RerankRequest request;
  int top_n = 0;  // results to return; 0 = all
  bool return_documents = false;
};

// INVALID_ARGUMENT whose message starts with the field ("query: ...",
// "documents[2]: ...", "top_n: ..."). The engine checks the rest (empty
// texts, lengths) with the same field names.
absl::StatusOr<RerankCall> ParseRerankRequest(absl::string_view body);

// The response for `scores` (one per document, in input order): the top_n
// best (0 = all), each with its document's text when `documents` (the
// request's, in input order) is given.
nlohmann::json RerankJson(const std::vector<float>& scores, int top_n,
                          const std::vector<std::string>* documents,
                          const std::string& model, int64_t prompt_tokens);

}  // namespace edgellm::server::http

#endif  // EDGELLM_RUNTIME_SERVER_HTTP_RERANK_API_H_
