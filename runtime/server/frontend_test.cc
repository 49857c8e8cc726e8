#include "runtime/server/frontend.h"

#include <thread>

#include "gtest/gtest.h"

namespace edgellm::server {
namespace {

FrontendOptions WithToken(std::string token) {
  FrontendOptions o;
  o.auth_token = std::move(token);
  o.log_requests = false;
  return o;
}

TEST(FrontendTest, NoTokenAdmitsEveryone) {
  Frontend f(WithToken(""), nullptr);
  EXPECT_TRUE(f.CheckToken(std::nullopt).ok());
  EXPECT_TRUE(f.CheckToken("Bearer anything").ok());
}

TEST(FrontendTest, TokenMustMatchExactly) {
  Frontend f(WithToken("s3cret"), nullptr);
  EXPECT_TRUE(f.CheckToken("Bearer s3cret").ok());
  for (absl::string_view bad :
       {"Bearer s3cre", "Bearer s3cret2", "bearer s3cret", "s3cret", ""}) {
    EXPECT_EQ(f.CheckToken(bad).code(), absl::StatusCode::kUnauthenticated)
        << bad;
  }
  EXPECT_EQ(f.CheckToken(std::nullopt).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(FrontendTest, AdmitFollowsLoadingServingDraining) {
  Frontend f(WithToken("t"), nullptr);
  // Auth comes first: a stranger learns nothing of the state.
  EXPECT_EQ(f.Admit(std::nullopt).code(), absl::StatusCode::kUnauthenticated);
  absl::Status loading = f.Admit("Bearer t");
  EXPECT_EQ(loading.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(loading.message().find("loading"), absl::string_view::npos);
  EXPECT_FALSE(f.serving());
  // Any non-null engine pointer marks the model loaded; none is called.
  alignas(Engine) char fake[sizeof(void*)];
  f.SetEngine(reinterpret_cast<Engine*>(fake));
  EXPECT_TRUE(f.Admit("Bearer t").ok());
  EXPECT_TRUE(f.serving());
  f.StartDraining();
  absl::Status draining = f.Admit("Bearer t");
  EXPECT_EQ(draining.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(draining.message().find("shutting down"), absl::string_view::npos);
  EXPECT_FALSE(f.serving());
  EXPECT_TRUE(f.draining());
}

TEST(FrontendTest, FinishRecordsMetricsAndWaitIdleWaitsForIt) {
  metrics::ServerMetrics metrics;
  Frontend f(WithToken(""), &metrics);
  CallRecord r = f.Begin("http", "POST /v1/completions", "127.0.0.1:1");
  CallRecord second = f.Begin("grpc", "Generate", "ipv4:127.0.0.1:2");
  EXPECT_GT(second.id, r.id);
  EXPECT_FALSE(f.WaitIdle(absl::Milliseconds(20)));
  r.has_stats = true;
  r.stats.prompt_tokens = 4;
  r.stats.generated_tokens = 2;
  f.Finish(r, absl::OkStatus(), "200");
  std::thread finisher([&] {
    absl::SleepFor(absl::Milliseconds(30));
    f.Finish(second, absl::CancelledError("gone"), "CANCELLED");
  });
  EXPECT_TRUE(f.WaitIdle(absl::Seconds(10)));
  finisher.join();
  const std::string text = metrics.Render({});
  EXPECT_NE(text.find("edgellm_requests_total{protocol=\"http\",method=\"POST "
                      "/v1/completions\",code=\"200\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("edgellm_requests_total{protocol=\"grpc\",method="
                      "\"Generate\",code=\"CANCELLED\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("edgellm_prompt_tokens_total 4"), std::string::npos);
}

}  // namespace
}  // namespace edgellm::server
