// `edgellm bench` on the small random "tiny" model: test lists, JSON fields,
// the RSS budget line, and flag errors. Kept to a few tokens per test so the
// whole file runs in seconds.
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/cli/command.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/run_command_for_test.h"

namespace edgellm::cli {
namespace {

using ::testing::HasSubstr;

using Result = CommandResult;

Result RunBench(const std::vector<std::string>& args) {
  Result r = RunCommandForTest(BenchCommand(), args);
  EXPECT_NE(r.code, -1) << r.err;
  return r;
}

// Where the random model is cached: the test's own temporary directory.
std::string ModelDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

std::vector<std::string> TinyArgs(std::vector<std::string> more) {
  std::vector<std::string> args = {
      "--shape", "tiny", "--model-dir", ModelDir(),       "-t",
      "1",       "-r",   "1",           "--bandwidth-mb", "0"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(BenchCommandTest, ListsGiveOneTestPerValueWithRssBudget) {
  const Result r = RunBench(TinyArgs({"-p", "8,16", "-n", "4", "--json"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["name"], "pp8");
  EXPECT_EQ(j[0]["n_prompt"], 8);
  EXPECT_EQ(j[1]["name"], "pp16");
  EXPECT_EQ(j[1]["n_prompt"], 16);
  EXPECT_EQ(j[2]["name"], "tg4");
  EXPECT_EQ(j[2]["n_gen"], 4);
  for (const auto& t : j) {
    // The context fits the largest test: max(16, tg_prompt 16 + 4).
    EXPECT_EQ(t["settings"]["context"], 20);
    EXPECT_EQ(t["settings"]["batch"], 16);
    const int64_t kv = t["kv_cache_bytes"];
    const int64_t budget = t["rss_budget_bytes"];
    const int64_t file = t["model"]["file_bytes"];
    const int64_t peak = t["peak_rss_bytes"];
    EXPECT_GT(kv, 0);
    EXPECT_EQ(budget, file + kv + 64'000'000);
    ASSERT_TRUE(t["rss_within_budget"].is_boolean());
    EXPECT_EQ(t["rss_within_budget"].get<bool>(), peak <= budget);
    // The budget's claim, which a ~1 MB model in a test process meets easily:
    // a regression that allocates tens of MB per run would break it.
    EXPECT_TRUE(t["rss_within_budget"].get<bool>()) << peak << " > " << budget;
    EXPECT_GT(t["tokens_per_second"]["mean"].get<double>(), 0);
    // --bandwidth-mb 0: no probe, so no read pattern.
    EXPECT_EQ(t["machine"]["memory_read_gb_per_s"], 0.0);
    EXPECT_EQ(t["machine"]["memory_read_streams_per_thread"], 0);
    EXPECT_EQ(t["machine"]["memory_read_prefetch_bytes"], 0);
  }
  // All tests share one engine, so one KV cache size.
  EXPECT_EQ(j[0]["kv_cache_bytes"], j[2]["kv_cache_bytes"]);
}

// A small probe: the peak pass is the roofline, the sustained read beside it.
TEST(BenchCommandTest, RooflineIsThePeakPassWithTheSustainedReadBesideIt) {
  const std::vector<std::string> args = {"--shape",
                                         "tiny",
                                         "--model-dir",
                                         ModelDir(),
                                         "-t",
                                         "2",
                                         "-r",
                                         "1",
                                         "-p",
                                         "0",
                                         "-n",
                                         "2",
                                         "--bandwidth-mb",
                                         "16",
                                         "--bandwidth-seconds",
                                         "0.05",
                                         "--json"};
  const Result r = RunBench(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 1u);
  const auto& m = j[0]["machine"];
  const double peak = m["memory_read_gb_per_s"];
  const double sustained = m["memory_read_sustained_gb_per_s"];
  EXPECT_GT(sustained, 0.0);
  EXPECT_LE(sustained, peak);
  EXPECT_GE(m["memory_read_sustained_seconds"].get<double>(), 0.05);
  const double gbs = j[0]["weight_gb_per_s"];
  EXPECT_DOUBLE_EQ(j[0]["roofline_fraction"].get<double>(), gbs / peak);
  EXPECT_DOUBLE_EQ(j[0]["sustained_read_fraction"].get<double>(),
                   gbs / sustained);
}

TEST(BenchCommandTest, TableHasRowsAndBudgetLine) {
  const Result r = RunBench(TinyArgs({"-p", "0,8", "-n", "0"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("| pp8 "));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("| tg")));
  EXPECT_THAT(r.out, HasSubstr("memory read not measured"));
  EXPECT_THAT(r.out, HasSubstr("peak RSS "));
  EXPECT_THAT(r.out, HasSubstr(" + 64)"));
}

TEST(BenchCommandTest, BadListsExitTwoNamingTheEntry) {
  for (const std::string bad : {"128,abc", "-5", "", "8,,16", "1e3", "8;16"}) {
    const Result r = RunBench(TinyArgs({"--n-prompt=" + bad}));
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_THAT(r.err, HasSubstr("-p/--n-prompt")) << bad;
    EXPECT_THAT(r.err, HasSubstr("is not a token count")) << bad;
  }
  const Result r = RunBench(TinyArgs({"-n", "4,x"}));
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("-n/--n-gen \"4,x\": entry \"x\""));
}

// An infinite sustained read would never end: refused up front, like a
// negative one.
TEST(BenchCommandTest, BandwidthSecondsMustBeFiniteAndNonNegative) {
  for (const std::string bad : {"inf", "-1", "nan"}) {
    const Result r = RunBench(TinyArgs({"--bandwidth-seconds=" + bad}));
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_THAT(r.err, HasSubstr("--bandwidth-seconds")) << bad;
  }
}

}  // namespace
}  // namespace edgellm::cli
