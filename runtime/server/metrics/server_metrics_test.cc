#include "runtime/server/metrics/server_metrics.h"

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "gtest/gtest.h"

namespace edgellm::server::metrics {
namespace {

// Sample lines of an exposition text: "name{labels}" -> value text.
std::map<std::string, std::string> Samples(const std::string& text) {
  std::map<std::string, std::string> samples;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = line.substr(space + 1);
  }
  return samples;
}

TEST(ServerMetricsTest, EveryLineIsWellFormed) {
  ServerMetrics m;
  m.RecordRequest("http", "POST /v1/chat/completions", "200");
  EngineGauges g;
  g.model_name = "we\"ird\\name";
  const std::string text = m.Render(g);
  // name{label="value",...} number, per the text format's grammar.
  static const std::regex kSample(
      R"re([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")*\})? (\+Inf|-Inf|NaN|-?[0-9.e+-]+))re");
  static const std::regex kComment(
      R"(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*)");
  std::istringstream in(text);
  std::string line;
  std::set<std::string> typed;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_TRUE(std::regex_match(line, kSample) ||
                std::regex_match(line, kComment))
        << line;
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(typed.insert(name).second) << "two TYPE lines for " << name;
    }
  }
  EXPECT_GT(lines, 40);
  EXPECT_NE(text.find("model_name=\"we\\\"ird\\\\name\""), std::string::npos);
}

TEST(ServerMetricsTest, CountsRequestsByProtocolMethodAndCode) {
  ServerMetrics m;
  m.RecordRequest("grpc", "Generate", "OK");
  m.RecordRequest("grpc", "Generate", "OK");
  m.RecordRequest("http", "POST /v1/completions", "429");
  const auto s = Samples(m.Render({}));
  EXPECT_EQ(s.at("edgellm_requests_total{protocol=\"grpc\",method=\"Generate\","
                 "code=\"OK\"}"),
            "2");
  EXPECT_EQ(s.at("edgellm_requests_total{protocol=\"http\",method=\"POST "
                 "/v1/completions\",code=\"429\"}"),
            "1");
}

TEST(ServerMetricsTest, GenerationsFeedTokensAndLatencies) {
  ServerMetrics m;
  RequestStats stats;
  stats.prompt_tokens = 10;
  stats.generated_tokens = 5;
  stats.time_to_first_token = absl::Milliseconds(30);
  stats.decode_time = absl::Milliseconds(80);  // 4 gaps of 20 ms
  m.RecordGeneration(stats);
  RequestStats none;  // no tokens: no latency samples
  none.prompt_tokens = 3;
  m.RecordGeneration(none);
  const auto s = Samples(m.Render({}));
  EXPECT_EQ(s.at("edgellm_prompt_tokens_total"), "13");
  EXPECT_EQ(s.at("edgellm_generation_tokens_total"), "5");
  EXPECT_EQ(s.at("edgellm_time_to_first_token_seconds_count"), "1");
  EXPECT_EQ(s.at("edgellm_time_to_first_token_seconds_bucket{le=\"0.025\"}"),
            "0");
  EXPECT_EQ(s.at("edgellm_time_to_first_token_seconds_bucket{le=\"0.05\"}"),
            "1");
  EXPECT_EQ(s.at("edgellm_time_per_output_token_seconds_count"), "1");
  EXPECT_EQ(s.at("edgellm_time_per_output_token_seconds_bucket{le=\"0.01\"}"),
            "0");
  EXPECT_EQ(s.at("edgellm_time_per_output_token_seconds_bucket{le=\"0.02\"}"),
            "1");
}

TEST(ServerMetricsTest, VllmAliasesCarryTheSameFigures) {
  ServerMetrics m;
  EngineGauges g;
  g.ready = true;
  g.waiting = 3;
  g.running = 2;
  g.kv_cache_usage = 0.25;
  g.model_load_seconds = 1.5;
  g.model_name = "tiny";
  const auto s = Samples(m.Render(g));
  EXPECT_EQ(s.at("edgellm_requests_waiting"), "3");
  EXPECT_EQ(s.at("edgellm_requests_running"), "2");
  EXPECT_EQ(s.at("edgellm_kv_cache_usage_ratio"), "0.25");
  EXPECT_EQ(s.at("edgellm_model_load_seconds"), "1.5");
  EXPECT_EQ(s.at("edgellm_ready"), "1");
  EXPECT_EQ(s.at("vllm:num_requests_waiting{model_name=\"tiny\"}"), "3");
  EXPECT_EQ(s.at("vllm:num_requests_running{model_name=\"tiny\"}"), "2");
  EXPECT_EQ(s.at("vllm:kv_cache_usage_perc{model_name=\"tiny\"}"), "0.25");
  EXPECT_EQ(s.at("vllm:gpu_cache_usage_perc{model_name=\"tiny\"}"), "0.25");
}

TEST(ServerMetricsTest, GaugesOfNoEngineAreZeroAndNotReady) {
  const EngineGauges g = GaugesOf(nullptr, true, "m");
  EXPECT_FALSE(g.ready);
  EXPECT_EQ(g.waiting, 0);
  EXPECT_EQ(g.kv_cache_usage, 0);
  EXPECT_EQ(g.model_name, "m");
}

}  // namespace
}  // namespace edgellm::server::metrics
