// End to end: the real `edgellm serve` process on a loopback port with the
// stories260K model from ../shared (or, without ../shared, a tiny F32
// random-weight model the test writes, so a fresh clone runs it too), driven
// through the generated C++ stubs. Greedy streams are compared with the
// engine's own greedy output, computed in-process with the same model.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "edgellm/v1/edgellm.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "runtime/engine/loaded_model.h"
#include "runtime/model/random_model.h"
#include "tests/server/protos/health.grpc.pb.h"
#include "tests/server/protos/reflection.grpc.pb.h"
#include "tests/server/server_process.h"
#include "tests/testing/shared_dir.h"

namespace edgellm {
namespace {

using ::testing::HasSubstr;
using v1::EdgeLlm;
using v1::GenerateRequest;
using v1::GenerateResponse;

constexpr char kModel[] = "models/stories260K/stories260K-f32.gguf";
constexpr int kContext = 512;

struct StreamResult {
  std::string text;
  std::vector<int32_t> token_ids;
  v1::FinishReason finish = v1::FINISH_REASON_UNSPECIFIED;
  v1::Usage usage;
  int responses = 0;
  grpc::Status status;
};

GenerateRequest Greedy(const std::string& prompt, int max_tokens) {
  GenerateRequest r;
  r.set_prompt(prompt);
  r.mutable_sampling()->set_temperature(0.0f);
  r.mutable_limits()->set_max_tokens(max_tokens);
  return r;
}

// A request that runs until cancelled: ignores end-of-generation and asks
// for nearly the whole context.
GenerateRequest Endless(const std::string& prompt) {
  GenerateRequest r = Greedy(prompt, kContext - 16);
  r.mutable_limits()->set_ignore_eos(true);
  return r;
}

StreamResult ReadAll(grpc::ClientReaderInterface<GenerateResponse>* reader) {
  StreamResult result;
  GenerateResponse response;
  while (reader->Read(&response)) {
    ++result.responses;
    result.text += response.text();
    for (int32_t id : response.token_ids()) result.token_ids.push_back(id);
    if (response.finish_reason() != v1::FINISH_REASON_UNSPECIFIED) {
      result.finish = response.finish_reason();
      result.usage = response.usage();
    }
  }
  result.status = reader->Finish();
  return result;
}

StreamResult Generate(EdgeLlm::Stub& stub, const GenerateRequest& request,
                      const std::string& token = "",
                      absl::Duration timeout = absl::Seconds(60)) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  return ReadAll(stub.Generate(&context, request).get());
}

class ServerE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_path_ = new std::string(testing::SharedFileOrEmpty(kModel));
    if (model_path_->empty()) {
      const char* dir = std::getenv("TEST_TMPDIR");
      *model_path_ = std::string(dir ? dir : "/tmp") + "/server_e2e_tiny.gguf";
      absl::StatusOr<model::RandomModelSpec> spec =
          model::NamedRandomModelSpec("tiny");
      ASSERT_TRUE(spec.ok()) << spec.status();
      spec->file_type = quant::FileType::kF32;
      const absl::Status written =
          model::WriteRandomModel(*spec, *model_path_, false);
      ASSERT_TRUE(written.ok()) << written;
    }
    engine::LoadOptions o;
    o.model_path = *model_path_;
    o.threads = 1;
    o.context = kContext;
    absl::StatusOr<std::unique_ptr<engine::LoadedModel>> e =
        engine::LoadedModel::Load(o);
    ASSERT_TRUE(e.ok()) << e.status();
    engine_ = e->release();
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
    delete model_path_;
  }

  // Starts a server with the model and `extra` flags; with a step delay,
  // every forward pass takes at least that many milliseconds.
  void StartServer(std::vector<std::string> extra = {}, int step_delay_ms = 0) {
    std::vector<std::string> args = {"--model",   *model_path_,
                                     "--threads", "1",
                                     "--ctx",     std::to_string(kContext)};
    if (step_delay_ms > 0) {
      server_.set_binary(testing::StepDelayBinary());
      args.insert(args.end(),
                  {"--step-delay-ms", std::to_string(step_delay_ms)});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    absl::Status started = server_.Start(args);
    ASSERT_TRUE(started.ok()) << started;
    channel_ = grpc::CreateChannel(server_.address(),
                                   grpc::InsecureChannelCredentials());
    stub_ = EdgeLlm::NewStub(channel_);
  }

  // The engine's own greedy generation.
  static engine::SequenceResult Reference(const GenerateRequest& request) {
    engine::GenerateOptions options;
    options.sampling.temperature = 0.0f;
    options.max_tokens = request.limits().max_tokens();
    options.ignore_eos = request.limits().ignore_eos();
    absl::StatusOr<engine::SequenceResult> r =
        engine_->Generate(request.prompt(), options, nullptr);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : engine::SequenceResult{};
  }

  void ExpectMatchesEngine(const StreamResult& got,
                           const GenerateRequest& request) {
    const engine::SequenceResult want = Reference(request);
    EXPECT_TRUE(got.status.ok()) << got.status.error_message();
    EXPECT_EQ(got.token_ids, want.output_ids) << request.prompt();
    EXPECT_EQ(got.text, want.text) << request.prompt();
    EXPECT_EQ(got.usage.prompt_tokens(),
              static_cast<int>(want.prompt_ids.size()));
    EXPECT_EQ(got.usage.generated_tokens(),
              static_cast<int>(want.output_ids.size()));
  }

  static std::string* model_path_;
  static engine::LoadedModel* engine_;
  testing::ServerProcess server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<EdgeLlm::Stub> stub_;
};

std::string* ServerE2eTest::model_path_ = nullptr;
engine::LoadedModel* ServerE2eTest::engine_ = nullptr;

const std::vector<std::string>& Prompts() {
  static const auto* prompts = new std::vector<std::string>{
      "Once upon a time",        "The little dog", "Lily and Tom went",
      "One day, a big bear",     "The sun was",    "Tim had a red ball",
      "In the park there was a", "Mom said",
  };
  return *prompts;
}

TEST_F(ServerE2eTest, GreedyStreamEqualsTheEngine) {
  StartServer();
  for (const std::string& prompt : {Prompts()[0], Prompts()[1]}) {
    const GenerateRequest request = Greedy(prompt, 60);
    const StreamResult got = Generate(*stub_, request);
    ExpectMatchesEngine(got, request);
    // One response per token, plus the final one.
    EXPECT_EQ(got.responses, static_cast<int>(got.token_ids.size()) + 1);
    EXPECT_NE(got.finish, v1::FINISH_REASON_UNSPECIFIED);
    EXPECT_GT(got.usage.time_to_first_token_ms(), 0.0);
  }
  EXPECT_TRUE(server_.WaitForLog("Generate peer="));
  EXPECT_THAT(server_.log(), HasSubstr("status=OK finish="));
}

// The paged KV cache is serve's default: a repeated prompt reuses its
// cached blocks (usage.cached_prompt_tokens), and cache_prompt false opts
// one request out, with the same tokens either way.
TEST_F(ServerE2eTest, PrefixCacheIsTheDefaultAndCachePromptFalseOptsOut) {
  StartServer();
  GenerateRequest request = Greedy("", 8);
  for (int i = 0; i < 40; ++i) request.add_prompt_token_ids(3 + (i * 7) % 200);
  const StreamResult cold = Generate(*stub_, request);
  ASSERT_TRUE(cold.status.ok()) << cold.status.error_message();
  EXPECT_EQ(cold.usage.cached_prompt_tokens(), 0);
  const StreamResult warm = Generate(*stub_, request);
  EXPECT_EQ(warm.usage.cached_prompt_tokens(), 32);  // two blocks of 16
  EXPECT_EQ(warm.token_ids, cold.token_ids);
  request.set_cache_prompt(false);
  const StreamResult opted_out = Generate(*stub_, request);
  EXPECT_EQ(opted_out.usage.cached_prompt_tokens(), 0);
  EXPECT_EQ(opted_out.token_ids, cold.token_ids);
}

// A prompt longer than the context: INVALID_ARGUMENT naming both, or with
// --context-shift shortened (the usage says so).
GenerateRequest TooLong() {
  GenerateRequest request = Greedy("", 4);
  for (int i = 0; i < kContext + 88; ++i) {
    request.add_prompt_token_ids(3 + (i * 7) % 200);
  }
  return request;
}

TEST_F(ServerE2eTest, APromptLongerThanTheContextIsRefused) {
  StartServer();
  const StreamResult refused = Generate(*stub_, TooLong());
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.status.error_message(),
              HasSubstr("600 tokens do not fit the context of 512"));
}

TEST_F(ServerE2eTest, ContextShiftLetsAPromptOutgrowTheContext) {
  const GenerateRequest request = TooLong();
  StartServer({"--context-shift", "8"});
  const StreamResult shifted = Generate(*stub_, request);
  ASSERT_TRUE(shifted.status.ok()) << shifted.status.error_message();
  EXPECT_EQ(shifted.usage.prompt_tokens(), kContext + 88);
  EXPECT_EQ(shifted.usage.context_shifts(), 1);
  // Halves of (512 - 8) / 2 = 252: (600 - 8 - 252) / 252 = 1 goes.
  EXPECT_EQ(shifted.usage.context_shift_dropped_tokens(), 252);
  EXPECT_EQ(shifted.token_ids.size(), 4u);
}

TEST_F(ServerE2eTest, EightConcurrentStreamsAllFinishCorrectly) {
  StartServer({"--parallel", "4", "--queue", "8"});
  std::vector<StreamResult> results(Prompts().size());
  std::vector<std::thread> clients;
  for (size_t i = 0; i < Prompts().size(); ++i) {
    clients.emplace_back(
        [&, i] { results[i] = Generate(*stub_, Greedy(Prompts()[i], 80)); });
  }
  for (std::thread& t : clients) t.join();
  for (size_t i = 0; i < Prompts().size(); ++i) {
    SCOPED_TRACE(Prompts()[i]);
    ExpectMatchesEngine(results[i], Greedy(Prompts()[i], 80));
  }
}

TEST_F(ServerE2eTest, CancellingMidStreamFreesTheSlot) {
  StartServer({"--parallel", "1", "--queue", "0"}, 5);
  {
    grpc::ClientContext context;
    auto reader = stub_->Generate(&context, Endless(Prompts()[0]));
    GenerateResponse response;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(reader->Read(&response));
    context.TryCancel();
    while (reader->Read(&response)) {
    }
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // The only slot must be free again within a step or so; a queue of 0
  // means a busy slot would answer RESOURCE_EXHAUSTED.
  EXPECT_TRUE(server_.WaitForLog("status=CANCELLED")) << server_.log();
  const GenerateRequest request = Greedy(Prompts()[1], 20);
  ExpectMatchesEngine(Generate(*stub_, request), request);
}

TEST_F(ServerE2eTest, DeadlineStopsTheStreamAndFreesTheSlot) {
  StartServer({"--parallel", "1", "--queue", "0"}, 5);
  const absl::Time start = absl::Now();
  const StreamResult got =
      Generate(*stub_, Endless(Prompts()[0]), "", absl::Milliseconds(300));
  EXPECT_EQ(got.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_GT(got.token_ids.size(), 0u);
  EXPECT_TRUE(server_.WaitForLog("status=DEADLINE_EXCEEDED")) << server_.log();
  const GenerateRequest request = Greedy(Prompts()[1], 20);
  ExpectMatchesEngine(Generate(*stub_, request), request);
}

TEST_F(ServerE2eTest, QueueOverflowIsResourceExhausted) {
  StartServer({"--parallel", "1", "--queue", "1"}, 5);
  grpc::ClientContext running_context, waiting_context;
  auto running = stub_->Generate(&running_context, Endless(Prompts()[0]));
  GenerateResponse response;
  ASSERT_TRUE(running->Read(&response));  // admitted and decoding
  auto waiting = stub_->Generate(&waiting_context, Endless(Prompts()[1]));
  absl::SleepFor(absl::Milliseconds(100));  // let it reach the queue
  const StreamResult rejected = Generate(*stub_, Greedy(Prompts()[2], 5));
  EXPECT_EQ(rejected.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(rejected.status.error_message(), HasSubstr("queue"));
  running_context.TryCancel();
  waiting_context.TryCancel();
  while (running->Read(&response)) {
  }
  while (waiting->Read(&response)) {
  }
  running->Finish();
  waiting->Finish();
}

TEST_F(ServerE2eTest, BadRequestsAreInvalidArgumentNamingTheField) {
  StartServer();
  struct Case {
    GenerateRequest request;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({Greedy("", 5), "prompt"});
  {
    GenerateRequest r = Greedy("Once", 5);
    r.mutable_sampling()->set_temperature(-1.0f);
    cases.push_back({r, "temperature"});
  }
  {
    GenerateRequest r = Greedy("Once", 5);
    r.mutable_sampling()->set_top_p(1.5f);
    cases.push_back({r, "top_p"});
  }
  {
    GenerateRequest r = Greedy("Once", 5);
    r.mutable_sampling()->set_top_k(-3);
    cases.push_back({r, "top_k"});
  }
  {
    GenerateRequest r = Greedy("Once", 5);
    (*r.mutable_sampling()->mutable_logit_bias())[100000] = 1.0f;
    cases.push_back({r, "logit_bias"});
  }
  {
    GenerateRequest r = Greedy("Once", 5);
    r.mutable_limits()->set_max_tokens(-1);
    cases.push_back({r, "max_tokens"});
  }
  {
    GenerateRequest r = Greedy("Once", 5);
    r.mutable_limits()->add_stop("");
    cases.push_back({r, "limits.stop[0]"});
  }
  {
    GenerateRequest r = Greedy("", 5);
    for (int i = 0; i < kContext + 10; ++i) r.add_prompt_token_ids(100);
    cases.push_back({r, "context"});
  }
  {
    GenerateRequest r = Greedy("", 5);
    r.add_prompt_token_ids(1);
    r.add_prompt_token_ids(-5);
    cases.push_back({r, "token id"});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    const StreamResult got = Generate(*stub_, c.request);
    EXPECT_EQ(got.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << got.status.error_message();
    EXPECT_THAT(got.status.error_message(), HasSubstr(c.field));
    EXPECT_EQ(got.responses, 0);
  }
}

TEST_F(ServerE2eTest, HealthAndReflectionAnswer) {
  StartServer();
  auto health = grpc::health::v1::Health::NewStub(channel_);
  for (const std::string service : {"", "edgellm.v1.EdgeLlm"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    const grpc::Status s = health->Check(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(response.status(),
              grpc::health::v1::HealthCheckResponse::SERVING);
  }

  auto reflection =
      grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest list;
  list.set_list_services("");
  ASSERT_TRUE(stream->Write(list));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& s : response.list_services_response().service()) {
    services.push_back(s.name());
  }
  EXPECT_THAT(services, ::testing::IsSupersetOf(
                            {"edgellm.v1.EdgeLlm", "grpc.health.v1.Health"}));

  grpc::reflection::v1alpha::ServerReflectionRequest symbol;
  symbol.set_file_containing_symbol("edgellm.v1.EdgeLlm");
  ASSERT_TRUE(stream->Write(symbol));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_GT(response.file_descriptor_response().file_descriptor_proto_size(),
            0);
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(
      response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.name(), "edgellm/v1/edgellm.proto");
  ASSERT_EQ(file.service_size(), 1);
  std::vector<std::string> methods;
  for (const auto& m : file.service(0).method()) methods.push_back(m.name());
  EXPECT_THAT(methods,
              ::testing::IsSupersetOf({"Generate", "Chat", "Embed", "Tokenize",
                                       "Detokenize", "GetModelInfo"}));
  stream->WritesDone();
  while (stream->Read(&response)) {
  }
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(ServerE2eTest, BearerTokenIsRequired) {
  const std::string dir = ::testing::TempDir();
  const std::string token_file = dir + "/token.txt";
  std::ofstream(token_file) << "s3cret-token\n";
  StartServer({"--auth-token-file", token_file});
  const GenerateRequest request = Greedy(Prompts()[0], 10);
  EXPECT_EQ(Generate(*stub_, request).status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Generate(*stub_, request, "wrong").status.error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  ExpectMatchesEngine(Generate(*stub_, request, "s3cret-token"), request);

  grpc::ClientContext context;
  v1::ModelInfo info;
  EXPECT_EQ(stub_->GetModelInfo(&context, v1::GetModelInfoRequest(), &info)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ServerE2eTest, TlsAcceptsTrustedClientsAndRejectsPlaintext) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "openssl is not installed; cannot make a test certificate";
  }
  const std::string dir = ::testing::TempDir();
  const std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  const std::string command = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout ",
      key, " -out ", cert, " >/dev/null 2>&1");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  StartServer({"--tls-cert", cert, "--tls-key", key});
  EXPECT_THAT(server_.log(), HasSubstr("(TLS)"));

  std::ifstream in(cert);
  const std::string pem((std::istreambuf_iterator<char>(in)),
                        std::istreambuf_iterator<char>());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = pem;
  auto tls_stub = EdgeLlm::NewStub(
      grpc::CreateChannel(server_.address(), grpc::SslCredentials(ssl)));
  const GenerateRequest request = Greedy(Prompts()[0], 10);
  ExpectMatchesEngine(Generate(*tls_stub, request), request);

  // stub_ speaks plaintext to the TLS port.
  const StreamResult plaintext =
      Generate(*stub_, request, "", absl::Seconds(5));
  EXPECT_FALSE(plaintext.status.ok());
  EXPECT_TRUE(plaintext.token_ids.empty());
}

TEST_F(ServerE2eTest, SigtermLetsShortStreamsFinishAndExitsZero) {
  StartServer({"--grace-seconds", "20"}, 10);
  StreamResult got;
  const GenerateRequest request = Greedy(Prompts()[0], 30);
  std::thread client([&] { got = Generate(*stub_, request); });
  ASSERT_TRUE(server_.WaitForLog("serving"));
  absl::SleepFor(absl::Milliseconds(100));  // the stream is under way
  EXPECT_EQ(server_.Stop(SIGTERM), 0);
  client.join();
  ExpectMatchesEngine(got, request);
  EXPECT_THAT(server_.log(), HasSubstr("received SIGTERM: draining"));
  EXPECT_THAT(server_.log(), HasSubstr("stopped"));
}

TEST_F(ServerE2eTest, SigtermCancelsStreamsThatOutliveTheGracePeriod) {
  StartServer({"--grace-seconds", "0.2"}, 5);
  grpc::ClientContext context;
  auto reader = stub_->Generate(&context, Endless(Prompts()[0]));
  GenerateResponse response;
  ASSERT_TRUE(reader->Read(&response));
  const absl::Time start = absl::Now();
  EXPECT_EQ(server_.Stop(SIGTERM), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  v1::FinishReason finish = v1::FINISH_REASON_UNSPECIFIED;
  while (reader->Read(&response)) {
    if (response.finish_reason()) finish = response.finish_reason();
  }
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("shutting down"));
  EXPECT_EQ(finish, v1::FINISH_REASON_CANCELLED);
}

TEST_F(ServerE2eTest, SecondSigtermDuringTheDrainStopsAtOnce) {
  StartServer({"--grace-seconds", "60"}, 10);
  grpc::ClientContext context;
  auto reader = stub_->Generate(&context, Endless(Prompts()[0]));
  GenerateResponse response;
  ASSERT_TRUE(reader->Read(&response));
  server_.Signal(SIGTERM);
  ASSERT_TRUE(server_.WaitForLog("draining"));
  const absl::Time start = absl::Now();
  EXPECT_EQ(server_.Stop(SIGTERM, absl::Seconds(20)), 1);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_THAT(server_.log(), HasSubstr("second signal during the drain"));
}

TEST_F(ServerE2eTest, HugeMaxTokensIsCappedByTheContextAndLogged) {
  StartServer();
  GenerateRequest request = Greedy(Prompts()[0], 2147483647);
  request.mutable_limits()->set_ignore_eos(true);
  const StreamResult got = Generate(*stub_, request);
  EXPECT_TRUE(got.status.ok()) << got.status.error_message();
  EXPECT_EQ(got.finish, v1::FINISH_REASON_LENGTH);
  // Every position fed, plus the token sampled at the last one.
  EXPECT_EQ(got.usage.prompt_tokens() + got.usage.generated_tokens(),
            kContext + 1);
  EXPECT_TRUE(server_.WaitForLog("finish=context_full"));
}

TEST_F(ServerE2eTest, RejectedRequestsGetTheirLogLineToo) {
  StartServer();
  GenerateRequest request = Greedy(Prompts()[0], 4);
  request.mutable_sampling()->set_top_p(2.0f);
  const StreamResult got = Generate(*stub_, request);
  EXPECT_EQ(got.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(got.status.error_message(), HasSubstr("sampling.top_p"));
  EXPECT_TRUE(server_.WaitForLog("status=INVALID_ARGUMENT"));
  EXPECT_THAT(server_.log(), HasSubstr("error=\"sampling.top_p"));
}

TEST_F(ServerE2eTest, TokenizeDetokenizeAndModelInfo) {
  StartServer({"--parallel", "2", "--queue", "3"});
  grpc::ClientContext c1;
  v1::TokenizeRequest tokenize;
  tokenize.set_text("Once upon a time");
  tokenize.set_add_special(true);
  tokenize.set_with_pieces(true);
  v1::TokenizeResponse tokens;
  ASSERT_TRUE(stub_->Tokenize(&c1, tokenize, &tokens).ok());
  const std::vector<int32_t> want = engine_->Encode("Once upon a time");
  EXPECT_EQ(std::vector<int32_t>(tokens.token_ids().begin(),
                                 tokens.token_ids().end()),
            want);
  EXPECT_EQ(tokens.pieces_size(), tokens.token_ids_size());

  grpc::ClientContext c2;
  v1::DetokenizeRequest detokenize;
  *detokenize.mutable_token_ids() = tokens.token_ids();
  v1::DetokenizeResponse text;
  ASSERT_TRUE(stub_->Detokenize(&c2, detokenize, &text).ok());
  EXPECT_EQ(text.text(), "Once upon a time");

  grpc::ClientContext c3;
  detokenize.add_token_ids(1 << 20);
  EXPECT_EQ(stub_->Detokenize(&c3, detokenize, &text).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext c4;
  v1::ModelInfo info;
  ASSERT_TRUE(stub_->GetModelInfo(&c4, v1::GetModelInfoRequest(), &info).ok());
  EXPECT_EQ(info.architecture(), "llama");
  EXPECT_EQ(info.context_length(), kContext);
  EXPECT_EQ(info.vocab_size(), engine_->config().vocab_size);
  EXPECT_EQ(info.layers(), engine_->config().block_count);
  EXPECT_THAT(info.quantization(), HasSubstr("F32"));
  EXPECT_GT(info.model_bytes(), 0);
  EXPECT_GT(info.kv_cache_bytes(), 0);
  // A llama model: every layer holds the whole context for every slot.
  EXPECT_EQ(info.kv_cache_bytes_per_slot(), int64_t{2} * kContext *
                                                engine_->config().block_count *
                                                engine_->config().kv_dim() * 4);
  EXPECT_EQ(info.kv_cache_bytes() % info.kv_cache_bytes_per_slot(), 0);
  EXPECT_EQ(info.parallel(), 2);
  EXPECT_EQ(info.queue(), 3);
  EXPECT_EQ(info.embedding_length(), engine_->config().embedding_length);
}

grpc::Status CallEmbed(EdgeLlm::Stub& stub, const v1::EmbedRequest& request,
                       v1::EmbedResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  return stub.Embed(&context, request, response);
}

double Norm(const v1::Embedding& e) {
  double sq = 0;
  for (float x : e.values()) sq += double(x) * x;
  return std::sqrt(sq);
}

TEST_F(ServerE2eTest, EmbedReturnsOneUnitVectorPerTextLikeTheEngine) {
  StartServer();
  const std::vector<std::string> texts = {Prompts()[0], Prompts()[4],
                                          Prompts()[0]};
  const int d = engine_->config().embedding_length;
  for (const auto& [pooling, engine_pooling] :
       std::vector<std::pair<v1::Pooling, engine::Pooling>>{
           {v1::POOLING_MEAN, engine::Pooling::kMean},
           {v1::POOLING_LAST, engine::Pooling::kLastToken},
           {v1::POOLING_CLS, engine::Pooling::kCls},
           {v1::POOLING_UNSPECIFIED, engine::Pooling::kMean}}) {
    SCOPED_TRACE(v1::Pooling_Name(pooling));
    v1::EmbedRequest request;
    for (const std::string& t : texts) request.add_texts(t);
    request.set_pooling(pooling);
    request.set_normalize(true);
    v1::EmbedResponse response;
    const grpc::Status status = CallEmbed(*stub_, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.dimensions(), d);
    ASSERT_EQ(response.embeddings_size(), static_cast<int>(texts.size()));
    for (size_t i = 0; i < texts.size(); ++i) {
      const v1::Embedding& e = response.embeddings(static_cast<int>(i));
      ASSERT_EQ(e.values_size(), d);
      EXPECT_NEAR(Norm(e), 1.0, 1e-5);
      EXPECT_EQ(e.tokens(), static_cast<int>(engine_->Encode(texts[i]).size()));
      // The in-process engine (same model and context) agrees.
      engine::EmbedOptions options;
      options.pooling = engine_pooling;
      options.normalize = true;
      absl::StatusOr<std::vector<float>> want =
          engine_->Embed(texts[i], options);
      ASSERT_TRUE(want.ok()) << want.status();
      for (int j = 0; j < d; ++j) {
        EXPECT_NEAR(e.values(j), (*want)[j], 1e-5) << "text " << i << " " << j;
      }
    }
    // The same text twice gives the same vector; different texts do not.
    EXPECT_EQ(std::vector<float>(response.embeddings(0).values().begin(),
                                 response.embeddings(0).values().end()),
              std::vector<float>(response.embeddings(2).values().begin(),
                                 response.embeddings(2).values().end()));
    if (pooling != v1::POOLING_CLS) {  // CLS sees only the (shared) BOS
      EXPECT_NE(response.embeddings(0).values(0),
                response.embeddings(1).values(0));
    }
  }
  EXPECT_TRUE(server_.WaitForLog("Embed peer="));
  EXPECT_THAT(server_.log(), HasSubstr("texts=3"));
}

TEST_F(ServerE2eTest, EmbedRunsBesideAGenerationHoldingEverySlot) {
  StartServer({"--parallel", "1", "--queue", "0"}, 2);
  grpc::ClientContext running_context;
  auto running = stub_->Generate(&running_context, Endless(Prompts()[0]));
  GenerateResponse response;
  ASSERT_TRUE(running->Read(&response));  // the only slot is decoding
  v1::EmbedRequest request;
  request.add_texts(Prompts()[1]);
  request.set_pooling(v1::POOLING_MEAN);
  v1::EmbedResponse vectors;
  const grpc::Status status = CallEmbed(*stub_, request, &vectors);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(vectors.embeddings_size(), 1);
  running_context.TryCancel();
  while (running->Read(&response)) {
  }
  running->Finish();
}

TEST_F(ServerE2eTest, BadEmbedRequestsAreInvalidArgumentNamingTheField) {
  StartServer();
  struct Case {
    v1::EmbedRequest request;
    std::string field;
    std::string also;  // a second part of the message, if any
  };
  std::vector<Case> cases;
  cases.push_back({v1::EmbedRequest(), "texts"});
  {
    v1::EmbedRequest r;
    r.add_texts("Once");
    r.add_texts("");
    cases.push_back({r, "texts[1]: empty"});
  }
  {
    v1::EmbedRequest r;
    std::string long_text;
    for (int i = 0; i < kContext; ++i) long_text += " the dog";
    r.add_texts(long_text);
    cases.push_back({r, "texts[0]", "exceed the context"});
  }
  {
    v1::EmbedRequest r;
    r.add_texts("Once");
    r.set_pooling(static_cast<v1::Pooling>(9));
    cases.push_back({r, "pooling"});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    v1::EmbedResponse response;
    const grpc::Status status = CallEmbed(*stub_, c.request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.field));
    EXPECT_THAT(status.error_message(), HasSubstr(c.also));
    EXPECT_EQ(response.embeddings_size(), 0);
  }
}

TEST_F(ServerE2eTest, ChatUsesTheTemplate) {
  // stories260K (and the tiny model) has no chat template: Chat says so, and
  // works once one is named on the command line.
  StartServer();
  v1::ChatRequest request;
  v1::ChatMessage* m = request.add_messages();
  m->set_role("user");
  m->set_content("Tell me a story");
  request.mutable_sampling()->set_temperature(0.0f);
  request.mutable_limits()->set_max_tokens(20);
  {
    grpc::ClientContext context;
    const StreamResult got = ReadAll(stub_->Chat(&context, request).get());
    EXPECT_EQ(got.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(got.status.error_message(), HasSubstr("--chat-template"));
  }
  server_.Stop(SIGTERM);

  testing::ServerProcess chatml;
  ASSERT_TRUE(
      chatml
          .Start({"--model", *model_path_, "--threads", "1", "--ctx",
                  std::to_string(kContext), "--chat-template", "chatml"})
          .ok());
  auto stub = EdgeLlm::NewStub(grpc::CreateChannel(
      chatml.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  const StreamResult got = ReadAll(stub->Chat(&context, request).get());
  EXPECT_TRUE(got.status.ok()) << got.status.error_message();
  EXPECT_GT(got.token_ids.size(), 0u);
  EXPECT_NE(got.finish, v1::FINISH_REASON_UNSPECIFIED);
  // The prompt is the rendered conversation, longer than the message.
  EXPECT_GT(got.usage.prompt_tokens(),
            static_cast<int>(engine_->Encode("Tell me a story").size()));
  EXPECT_EQ(chatml.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace edgellm
