// `edgellm serve --model ENCODER.gguf` serves an encoder-only model on its
// own: a reranker (make-model's tiny-bert-rerank) answers Rerank with the
// scores `edgellm rerank` prints, in input order; an embedding model
// (tiny-bert, and bge-small's real shape) answers Embed with the vectors
// `edgellm embed` prints and Rerank with UNIMPLEMENTED; both refuse
// Generate with UNIMPLEMENTED; bad Rerank requests are INVALID_ARGUMENT
// naming the field. The model files are written by the test, so it needs no
// reference data.
#include <grpcpp/grpcpp.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "edgellm/v1/edgellm.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/cli/commands.h"
#include "runtime/cli/run_command_for_test.h"
#include "tests/server/server_process.h"

namespace edgellm {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kQuery[] = "what is red";
const std::vector<std::string>& Documents() {
  static const auto* docs = new std::vector<std::string>{
      "a red ball", "the capital city of a country", "music", "red apples"};
  return *docs;
}

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

// Writes make-model's `shape` at `type`; returns the path.
std::string WriteShape(const std::string& shape, const std::string& type) {
  const std::string path =
      absl::StrCat(TempDir(), "/", shape, "-", type, ".gguf");
  cli::CommandResult made = cli::RunCommandForTest(
      cli::MakeModelCommand(),
      {"--shape", shape, "--type", type, "--output", path});
  EXPECT_EQ(made.code, 0) << made.err;
  return path;
}

json LastJsonLine(const std::string& out) {
  const size_t end = out.find_last_not_of('\n');
  const size_t start = out.rfind('\n', end);
  return json::parse(out.substr(start == std::string::npos ? 0 : start + 1));
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  return context;
}

class Served {
 public:
  explicit Served(const std::string& model) {
    status_ =
        server_.Start({"--model", model, "--threads", "1", "--parallel", "1"});
    stub_ = v1::EdgeLlm::NewStub(grpc::CreateChannel(
        server_.address(), grpc::InsecureChannelCredentials()));
  }
  const absl::Status& status() const { return status_; }
  v1::EdgeLlm::Stub& stub() { return *stub_; }
  std::string log() const { return server_.log(); }

  grpc::Status Rerank(const v1::RerankRequest& request,
                      v1::RerankResponse* response) {
    return stub_->Rerank(Context().get(), request, response);
  }
  grpc::Status Info(v1::ModelInfo* info) {
    return stub_->GetModelInfo(Context().get(), v1::GetModelInfoRequest(),
                               info);
  }
  grpc::Status Generate() {
    v1::GenerateRequest request;
    request.set_prompt("once upon a time");
    auto context = Context();
    auto reader = stub_->Generate(context.get(), request);
    v1::GenerateResponse response;
    while (reader->Read(&response)) {
    }
    return reader->Finish();
  }

 private:
  testing::ServerProcess server_;
  absl::Status status_;
  std::unique_ptr<v1::EdgeLlm::Stub> stub_;
};

v1::RerankRequest RerankOf(const std::string& query,
                           const std::vector<std::string>& documents) {
  v1::RerankRequest request;
  request.set_query(query);
  for (const std::string& d : documents) request.add_documents(d);
  return request;
}

TEST(EncoderServeTest, RerankerScoresLikeTheRerankCommand) {
  const std::string model = WriteShape("tiny-bert-rerank", "f32");
  std::vector<std::string> args = {"--model", model, "--query", kQuery,
                                   "--json"};
  for (const std::string& d : Documents()) args.insert(args.end(), {"-d", d});
  cli::CommandResult ranked =
      cli::RunCommandForTest(cli::RerankCommand(), args);
  ASSERT_EQ(ranked.code, 0) << ranked.err;
  const std::vector<double> expected = LastJsonLine(ranked.out)["scores"];
  ASSERT_EQ(expected.size(), Documents().size());

  Served served(model);
  ASSERT_TRUE(served.status().ok()) << served.status() << served.log();
  v1::ModelInfo info;
  ASSERT_TRUE(served.Info(&info).ok());
  EXPECT_EQ(info.architecture(), "bert");
  EXPECT_FALSE(info.generates());
  EXPECT_TRUE(info.reranks());
  EXPECT_EQ(info.pooling(), "rank");

  v1::RerankResponse response;
  const grpc::Status status =
      served.Rerank(RerankOf(kQuery, Documents()), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.scores_size(), static_cast<int>(expected.size()));
  ASSERT_EQ(response.tokens_size(), static_cast<int>(expected.size()));
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(response.scores(static_cast<int>(i)), expected[i], 1e-4)
        << "documents[" << i << "]";
    // [CLS] query [SEP] document [SEP]: at least the three specials.
    EXPECT_GE(response.tokens(static_cast<int>(i)), 5);
  }
  EXPECT_NE(response.scores(0), response.scores(1));

  // A generation request says why it cannot be served.
  const grpc::Status generate = served.Generate();
  EXPECT_EQ(generate.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_THAT(generate.error_message(), HasSubstr("cannot generate"));
}

TEST(EncoderServeTest, BadRerankRequestsNameTheField) {
  Served served(WriteShape("tiny-bert-rerank", "f32"));
  ASSERT_TRUE(served.status().ok()) << served.status() << served.log();
  struct Case {
    v1::RerankRequest request;
    std::string field;
  };
  const std::string long_text =
      absl::StrJoin(std::vector<std::string>(600, "red"), " ");
  const std::vector<Case> cases = {
      {RerankOf("", {"a red ball"}), "query: "},
      {RerankOf(kQuery, {}), "documents: "},
      {RerankOf(kQuery, {"a red ball", ""}), "documents[1]: "},
      {RerankOf(kQuery, {long_text}), "documents[0]: "},
      {RerankOf(kQuery, std::vector<std::string>(513, "x")), "documents: "},
  };
  for (const Case& c : cases) {
    v1::RerankResponse response;
    const grpc::Status status = served.Rerank(c.request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.field << status.error_message();
    EXPECT_THAT(status.error_message(), ::testing::StartsWith(c.field));
  }
  // The server still serves.
  v1::RerankResponse response;
  EXPECT_TRUE(served.Rerank(RerankOf(kQuery, {"a red ball"}), &response).ok());
}

// An embedding model (tiny-bert; bge-small at Q8_0, its real width and depth)
// embeds like `edgellm embed` and cannot rerank.
TEST(EncoderServeTest, EmbeddingModelEmbedsAndCannotRerank) {
  for (const char* shape : {"tiny-bert", "bge-small"}) {
    SCOPED_TRACE(shape);
    const std::string model = WriteShape(shape, "q8_0");
    cli::CommandResult embedded = cli::RunCommandForTest(
        cli::EmbedCommand(),
        {"--model", model, "--text", Documents()[0], "--text", Documents()[1],
         "--normalize", "--json"});
    ASSERT_EQ(embedded.code, 0) << embedded.err;
    const json expected = LastJsonLine(embedded.out);

    Served served(model);
    ASSERT_TRUE(served.status().ok()) << served.status() << served.log();
    v1::ModelInfo info;
    ASSERT_TRUE(served.Info(&info).ok());
    EXPECT_FALSE(info.generates());
    EXPECT_FALSE(info.reranks());
    EXPECT_EQ(info.embedding_length(), expected["dimensions"].get<int>());

    v1::EmbedRequest request;
    request.add_texts(Documents()[0]);
    request.add_texts(Documents()[1]);
    request.set_normalize(true);
    v1::EmbedResponse response;
    grpc::Status status =
        served.stub().Embed(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.embeddings_size(), 2);
    for (int t = 0; t < 2; ++t) {
      const std::vector<double> want = expected["embeddings"][t];
      ASSERT_EQ(response.embeddings(t).values_size(),
                static_cast<int>(want.size()));
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_NEAR(response.embeddings(t).values(static_cast<int>(i)), want[i],
                    1e-4)
            << "texts[" << t << "][" << i << "]";
      }
    }

    v1::RerankResponse scores;
    status = served.Rerank(RerankOf(kQuery, {"a red ball"}), &scores);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_THAT(status.error_message(), HasSubstr("cannot rerank"));
    const grpc::Status generate = served.Generate();
    EXPECT_EQ(generate.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_THAT(generate.error_message(), HasSubstr("encoder-only"));
  }
}

}  // namespace
}  // namespace edgellm
