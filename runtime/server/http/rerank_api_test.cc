#include "runtime/server/http/rerank_api.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgellm::server::http {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using json = nlohmann::json;

TEST(RerankApiTest, ParsesStringsAndTextObjects) {
  absl::StatusOr<RerankCall> call = ParseRerankRequest(R"({
      "model": "rr", "query": "what is red", "top_n": 2,
      "documents": ["a red ball", {"text": "a car"}], "return_documents": true,
      "vendor_field": 1})");
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->model, "rr");
  EXPECT_EQ(call->request.query, "what is red");
  EXPECT_THAT(call->request.documents, ElementsAre("a red ball", "a car"));
  EXPECT_EQ(call->top_n, 2);
  EXPECT_TRUE(call->return_documents);
}

TEST(RerankApiTest, ErrorsNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "body: "},
      {"{", "body: "},
      {R"({"documents": ["a"]})", "query: "},
      {R"({"query": 3, "documents": ["a"]})", "query: "},
      {R"({"query": "q"})", "documents: "},
      {R"({"query": "q", "documents": "a"})", "documents: "},
      {R"({"query": "q", "documents": ["a", 7]})", "documents[1]: "},
      {R"({"query": "q", "documents": [{"txt": "a"}]})", "documents[0]: "},
      {R"({"query": "q", "documents": ["a"], "top_n": 0})", "top_n: "},
      {R"({"query": "q", "documents": ["a"], "top_n": 1.5})", "top_n: "},
      {R"({"query": "q", "documents": ["a"], "model": 1})", "model: "},
      {R"({"query": "q", "documents": ["a"], "return_documents": 1})",
       "return_documents: "},
  };
  for (const auto& [body, field] : cases) {
    absl::StatusOr<RerankCall> call = ParseRerankRequest(body);
    ASSERT_FALSE(call.ok()) << body;
    EXPECT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(call.status().message()), StartsWith(field))
        << body;
  }
  std::string many = R"({"query": "q", "documents": [)";
  for (int i = 0; i <= RequestLimits::kMaxRerankDocuments; ++i) {
    absl::StrAppend(&many, i ? "," : "", "\"d\"");
  }
  many += "]}";
  absl::StatusOr<RerankCall> call = ParseRerankRequest(many);
  ASSERT_FALSE(call.ok());
  EXPECT_THAT(
      call.status().message(),
      HasSubstr(absl::StrCat("at most ", RequestLimits::kMaxRerankDocuments)));
}

TEST(RerankApiTest, TopNPastTheDocumentsReturnsThemAll) {
  absl::StatusOr<RerankCall> call = ParseRerankRequest(
      R"({"query": "q", "documents": ["a", "b"], "top_n": 99999999999})");
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(
      RerankJson({1.0f, 2.0f}, call->top_n, nullptr, "rr", 4)["results"].size(),
      2u);
  // An empty list is the engine's to refuse (it names `documents`).
  call = ParseRerankRequest(R"({"query": "q", "documents": []})");
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_TRUE(call->request.documents.empty());
}

TEST(RerankApiTest, ResultsMostRelevantFirstCutToTopN) {
  const std::vector<std::string> documents = {"a", "b", "c", "d"};
  const std::vector<float> scores = {0.5f, 2.0f, -1.0f, 2.0f};
  json all = RerankJson(scores, 0, nullptr, "rr", 20);
  EXPECT_EQ(all["model"], "rr");
  EXPECT_EQ(all["object"], "list");
  EXPECT_EQ(all["usage"]["prompt_tokens"], 20);
  EXPECT_EQ(all["usage"]["total_tokens"], 20);
  ASSERT_EQ(all["results"].size(), 4u);
  std::vector<int> order;
  for (const json& r : all["results"]) order.push_back(r["index"]);
  // Ties keep input order.
  EXPECT_THAT(order, ElementsAre(1, 3, 0, 2));
  EXPECT_FLOAT_EQ(all["results"][2]["relevance_score"].get<float>(), 0.5f);
  EXPECT_FALSE(all["results"][0].contains("document"));

  json top = RerankJson(scores, 2, &documents, "rr", 20);
  ASSERT_EQ(top["results"].size(), 2u);
  EXPECT_EQ(top["results"][1]["index"], 3);
  EXPECT_EQ(top["results"][1]["document"]["text"], "d");
}

}  // namespace
}  // namespace edgellm::server::http
