// Readiness and container limits of the real `edgellm serve` process, on a
// random-weight tiny model the test writes: grpc.health.v1 (overall and for
// edgellm.v1.EdgeLlm) and HTTP /health say NOT_SERVING / 503 while the
// model loads and again once draining starts, SERVING / 200 in between;
// the default thread count is the CPUs the process may use; a model and KV
// cache larger than the memory it may use are refused at start; and the
// metrics port reports a running generation and its KV-cache use.
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>

#include <cstdlib>
#include <regex>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "edgellm/v1/edgellm.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/model/random_model.h"
#include "runtime/server/container_limits.h"
#include "tests/server/protos/health.grpc.pb.h"
#include "tests/server/server_process.h"

namespace edgellm {
namespace {

using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

std::string TinyModel() {
  static const std::string* path = [] {
    const char* dir = std::getenv("TEST_TMPDIR");
    auto* p = new std::string(std::string(dir ? dir : "/tmp") +
                              "/readiness_tiny.gguf");
    absl::StatusOr<model::RandomModelSpec> spec =
        model::NamedRandomModelSpec("tiny");
    EXPECT_TRUE(spec.ok());
    EXPECT_TRUE(model::WriteRandomModel(*spec, *p, false).ok());
    return p;
  }();
  return *path;
}

// The health status of `service` ("" = the server overall), or -1 when the
// call fails.
int Health(const std::string& address, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  if (!stub->Check(&context, request, &response).ok()) return -1;
  return response.status();
}

int HttpHealth(int port) {
  httplib::Client client("127.0.0.1", port);
  httplib::Result r = client.Get("/health");
  return r ? r->status : -1;
}

void ExpectHealth(const testing::ServerProcess& server, int http_port,
                  bool serving) {
  const int want =
      serving ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
  EXPECT_EQ(Health(server.address(), ""), want);
  EXPECT_EQ(Health(server.address(), "edgellm.v1.EdgeLlm"), want);
  EXPECT_EQ(HttpHealth(http_port), serving ? 200 : 503);
}

TEST(ReadinessTest, NotServingWhileLoadingAndAgainWhileDraining) {
  testing::ServerProcess server(testing::StepDelayBinary());
  ASSERT_TRUE(server
                  .StartListening({"--model", TinyModel(), "--threads", "1",
                                   "--step-delay-ms", "5", "--load-delay-ms",
                                   "3000", "--http-listen", "127.0.0.1:0",
                                   "--grace-seconds", "20"})
                  .ok())
      << server.log();
  ASSERT_TRUE(server.WaitForLog("http listening on")) << server.log();
  const int http_port = server.LoggedPort("http");
  ASSERT_GT(http_port, 0);
  ASSERT_THAT(server.log(), ::testing::Not(HasSubstr("serving ")));
  {
    SCOPED_TRACE("loading");
    ExpectHealth(server, http_port, false);
    // Requests meanwhile: 503 with OpenAI's error body.
    httplib::Client client("127.0.0.1", http_port);
    httplib::Result r = client.Get("/v1/models");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_THAT(r->body, HasSubstr("model loading"));
  }
  ASSERT_TRUE(server.WaitForLog("edgellm serve: serving ", absl::Seconds(30)));
  {
    SCOPED_TRACE("serving");
    ExpectHealth(server, http_port, true);
  }

  // A long generation keeps the drain going while health is asked again.
  std::thread stream([&] {
    auto stub = v1::EdgeLlm::NewStub(grpc::CreateChannel(
        server.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    v1::GenerateRequest request;
    request.set_prompt("Once upon a time");
    request.mutable_limits()->set_max_tokens(400);
    request.mutable_limits()->set_ignore_eos(true);
    auto reader = stub->Generate(&context, request);
    v1::GenerateResponse response;
    while (reader->Read(&response)) {
    }
    reader->Finish();
  });
  // 400 tokens at 5 ms a step: the stream runs for about 2 s.
  absl::SleepFor(absl::Milliseconds(300));
  server.Signal(SIGTERM);
  ASSERT_TRUE(server.WaitForLog("draining"));
  {
    SCOPED_TRACE("draining");
    ExpectHealth(server, http_port, false);
  }
  stream.join();
  // Signal 0: nothing more is sent (a second SIGTERM would cut the drain).
  EXPECT_EQ(server.Stop(0), 0);
  // The generation that started before the drain finished normally.
  EXPECT_THAT(server.log(), HasSubstr("Generate peer="));
  EXPECT_THAT(server.log(), HasSubstr("status=OK finish=length"));
}

TEST(ReadinessTest, DefaultThreadsAreTheCpusTheProcessMayUse) {
  testing::ServerProcess server;
  ASSERT_TRUE(server.Start({"--model", TinyModel()}).ok()) << server.log();
  const int want = server::AvailableCpus("/", server::AffinityCpus());
  EXPECT_THAT(server.log(), HasSubstr(absl::StrCat(", threads ", want, ",")));
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

TEST(ReadinessTest, RefusesAModelThatDoesNotFitTheMemory) {
  // 257 slots of a million positions: far beyond any machine's memory.
  testing::ServerProcess server;
  absl::Status started = server.Start(
      {"--model", TinyModel(), "--parallel", "256", "--ctx", "1048576"});
  EXPECT_FALSE(started.ok());
  EXPECT_EQ(server.Stop(SIGKILL), 1);
  const std::string log = server.log();
  EXPECT_THAT(log, HasSubstr("not enough memory"));
  EXPECT_THAT(log, HasSubstr("257 slots x 1048576 positions, f32"));
  EXPECT_THAT(log, HasSubstr("--kv-type f16"));
  EXPECT_THAT(log, HasSubstr("--no-memory-check"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("listening on")));
}

// The sample value of the first line of `text` that starts with `prefix`.
double Sample(const std::string& text, const std::string& prefix) {
  const size_t at = text.find("\n" + prefix);
  if (at == std::string::npos) return -1;
  const size_t end = text.find('\n', at + 1);
  const std::string line = text.substr(at + 1, end - at - 1);
  return std::atof(line.substr(line.rfind(' ') + 1).c_str());
}

TEST(ReadinessTest, MetricsPortShowsARunningGeneration) {
  testing::ServerProcess server(testing::StepDelayBinary());
  ASSERT_TRUE(server
                  .Start({"--model", TinyModel(), "--threads", "1",
                          "--step-delay-ms", "5", "--parallel", "2", "--ctx",
                          "512", "--metrics-listen", "127.0.0.1:0"})
                  .ok())
      << server.log();
  const int metrics_port = server.LoggedPort("metrics");
  ASSERT_GT(metrics_port, 0);
  httplib::Client metrics("127.0.0.1", metrics_port);
  std::thread stream([&] {
    auto stub = v1::EdgeLlm::NewStub(grpc::CreateChannel(
        server.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    v1::GenerateRequest request;
    request.set_prompt("Once upon a time");
    request.mutable_limits()->set_max_tokens(100);
    request.mutable_limits()->set_ignore_eos(true);
    auto reader = stub->Generate(&context, request);
    v1::GenerateResponse response;
    while (reader->Read(&response)) {
    }
    EXPECT_TRUE(reader->Finish().ok());
  });
  // While it runs: one running, its KV positions over 2 x 512.
  double running = 0, usage = 0;
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while ((running != 1 || usage <= 0) && absl::Now() < end) {
    httplib::Result r = metrics.Get("/metrics");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    EXPECT_THAT(r->get_header_value("Content-Type"),
                HasSubstr("text/plain; version=0.0.4"));
    running = Sample(r->body, "vllm:num_requests_running{");
    usage = Sample(r->body, "vllm:kv_cache_usage_perc{");
    EXPECT_EQ(Sample(r->body, "edgellm_requests_running "), running);
  }
  EXPECT_EQ(running, 1);
  EXPECT_GT(usage, 0);
  EXPECT_LE(usage, 101.0 / 1024);  // prompt + 100 tokens at most
  stream.join();
  httplib::Result after = metrics.Get("/metrics");
  ASSERT_TRUE(after);
  EXPECT_EQ(Sample(after->body, "vllm:num_requests_running{"), 0);
  EXPECT_EQ(Sample(after->body,
                   "edgellm_requests_total{protocol=\"grpc\","
                   "method=\"Generate\",code=\"OK\"}"),
            1);
  EXPECT_EQ(Sample(after->body, "edgellm_generation_tokens_total "), 100);
  EXPECT_EQ(Sample(after->body, "edgellm_time_to_first_token_seconds_count "),
            1);
  EXPECT_GT(Sample(after->body, "edgellm_model_load_seconds "), 0);
  // The metrics port serves no API.
  EXPECT_EQ(metrics.Get("/v1/models")->status, 404);
  EXPECT_EQ(server.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace edgellm
