// A make-model file of every table-driven architecture (the tiny-* shapes:
// qwen3, gemma3 with its sliding window, phi3 as Phi-4-mini with partial
// rotary and LongRoPE, Llama 3.2 with rope_freqs, smollm3 with NoPE layers)
// runs through the commands a user runs: `make-model`, `inspect`,
// `generate`, `bench --shape` and `serve`. The server's greedy tokens must
// be the ones `generate` printed, and GetModelInfo must report the model's
// architecture and its KV bytes per slot (windowed layers hold only their
// window).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "edgellm/v1/edgellm.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/cli/commands.h"
#include "runtime/cli/run_command_for_test.h"
#include "runtime/model/random_model.h"
#include "tests/server/server_process.h"

namespace edgellm {
namespace {

using ::testing::HasSubstr;

constexpr int kContext = 128;
constexpr int kTokens = 12;
// Longer than tiny-gemma3's window (32), so local layers drop keys.
constexpr char kPrompt[] =
    "once upon a time there was a little girl named sun and she had a big "
    "red ball and a dog and they went to the park to play with the ball";

struct Case {
  std::string shape;
  std::string architecture;  // general.architecture
};

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp";
}

// KV bytes per slot at kContext positions, f32, from the shape's numbers:
// a layer with a window holds min(window, context) positions, the rest the
// context. Gemma 3's local layers are il % 6 < 5 (llama.cpp's pattern).
int64_t ExpectedKvBytesPerSlot(const model::RandomModelSpec& s) {
  const int64_t head_dim =
      s.head_dim > 0 ? s.head_dim : s.embedding_length / s.head_count;
  int64_t positions = 0;
  for (int il = 0; il < s.block_count; ++il) {
    const bool local = s.architecture == "gemma3" && il % 6 < 5;
    positions += local ? std::min(s.sliding_window, kContext) : kContext;
  }
  return positions * 2 * s.head_count_kv * head_dim * 4;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.shape; }

class ArchitecturesE2eTest : public ::testing::TestWithParam<Case> {};

TEST_P(ArchitecturesE2eTest, MakeModelInspectGenerateBenchServe) {
  const Case& c = GetParam();
  absl::StatusOr<model::RandomModelSpec> spec =
      model::NamedRandomModelSpec(c.shape);
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->architecture, c.architecture);
  const std::string path = absl::StrCat(TempDir(), "/", c.shape, ".gguf");

  cli::CommandResult made = cli::RunCommandForTest(
      cli::MakeModelCommand(), {"--shape", c.shape, "--output", path});
  ASSERT_EQ(made.code, 0) << made.err;
  EXPECT_THAT(made.err, HasSubstr("(" + c.architecture + ", tied)"));

  // inspect: the architecture's description and the KV bytes per slot.
  cli::CommandResult inspected = cli::RunCommandForTest(
      cli::InspectCommand(),
      {path, "--json", "--ctx", std::to_string(kContext)});
  ASSERT_EQ(inspected.code, 0) << inspected.err;
  const nlohmann::json desc = nlohmann::json::parse(inspected.out);
  EXPECT_EQ(desc["decoder"]["kv_bytes_per_slot_f32"],
            ExpectedKvBytesPerSlot(*spec))
      << inspected.out;

  // generate, greedy.
  cli::CommandResult generated = cli::RunCommandForTest(
      cli::GenerateCommand(),
      {"--model", path, "--prompt", kPrompt, "-n", std::to_string(kTokens),
       "--temperature", "0", "--ignore-eos", "-t", "1", "--ctx",
       std::to_string(kContext), "--json"});
  ASSERT_EQ(generated.code, 0) << generated.err;
  const nlohmann::json gen = nlohmann::json::parse(generated.out);
  const std::vector<int32_t> cli_ids = gen["output_ids"];
  ASSERT_EQ(cli_ids.size(), static_cast<size_t>(kTokens));

  // bench --shape: writes its own copy and measures pp and tg.
  cli::CommandResult benched = cli::RunCommandForTest(
      cli::BenchCommand(),
      {"--shape", c.shape, "--model-dir", TempDir(), "-t", "1", "-r", "1", "-p",
       "16", "-n", "4", "--bandwidth-mb", "0", "--json"});
  ASSERT_EQ(benched.code, 0) << benched.err;
  const nlohmann::json bench = nlohmann::json::parse(benched.out);
  ASSERT_EQ(bench.size(), 2u) << benched.out;
  for (const nlohmann::json& t : bench) {
    EXPECT_EQ(t["model"]["architecture"], c.architecture);
    EXPECT_GT(t["tokens_per_second"]["mean"].get<double>(), 0) << t.dump();
  }

  // serve: the same greedy tokens over gRPC, and the model's description,
  // with the slab KV cache (--kv-block-size 0) and the default paged one.
  for (const char* block_size : {"0", "16"}) {
    SCOPED_TRACE(absl::StrCat("--kv-block-size ", block_size));
    testing::ServerProcess server;
    ASSERT_TRUE(server
                    .Start({"--model", path, "--threads", "1", "--parallel",
                            "1", "--ctx", std::to_string(kContext),
                            "--kv-block-size", block_size})
                    .ok())
        << server.log();
    auto stub = v1::EdgeLlm::NewStub(grpc::CreateChannel(
        server.address(), grpc::InsecureChannelCredentials()));
    {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
      v1::GetModelInfoRequest request;
      v1::ModelInfo info;
      ASSERT_TRUE(stub->GetModelInfo(&context, request, &info).ok());
      EXPECT_EQ(info.architecture(), c.architecture);
      EXPECT_EQ(info.kv_cache_bytes_per_slot(), ExpectedKvBytesPerSlot(*spec));
      // The slabs: one generation slot (--parallel 1) and the embedding
      // slot. (The paged pools' bytes are the planner's:
      // //runtime/engine:edgellm_test checks them against EstimateMemory,
      // //runtime/model:kv_paged_test their bound by the window.)
      if (std::string(block_size) == "0") {
        EXPECT_EQ(info.kv_cache_bytes(), 2 * info.kv_cache_bytes_per_slot());
      }
    }
    v1::GenerateRequest request;
    request.set_prompt(kPrompt);
    request.mutable_sampling()->set_temperature(0.0f);
    request.mutable_limits()->set_max_tokens(kTokens);
    request.mutable_limits()->set_ignore_eos(true);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    auto reader = stub->Generate(&context, request);
    std::vector<int32_t> served_ids;
    v1::GenerateResponse response;
    while (reader->Read(&response)) {
      for (int32_t id : response.token_ids()) served_ids.push_back(id);
    }
    ASSERT_TRUE(reader->Finish().ok());
    EXPECT_EQ(served_ids, cli_ids);
    EXPECT_EQ(server.Stop(SIGTERM), 0) << server.log();
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, ArchitecturesE2eTest,
                         ::testing::Values(Case{"tiny-qwen3", "qwen3"},
                                           Case{"tiny-gemma3", "gemma3"},
                                           Case{"tiny-phi4-mini", "phi3"},
                                           Case{"tiny-llama3.2", "llama"},
                                           Case{"tiny-smollm3", "smollm3"}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string name = info.param.shape;
                           std::replace_if(
                               name.begin(), name.end(),
                               [](char ch) { return !std::isalnum(ch); }, '_');
                           return name;
                         });

}  // namespace
}  // namespace edgellm
