// `edgellm quantize` and `edgellm inspect` through their Command objects:
// exit codes, error messages for unsupported inputs, and a round trip on
// the shared stories260K model.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/cli/commands.h"
#include "tests/testing/shared_dir.h"

namespace edgellm::cli {
namespace {

using ::testing::HasSubstr;

struct CommandRun {
  int code;
  std::string out;
  std::string err;
};

CommandRun RunCommand(const Command& command,
                      const std::vector<std::string>& args) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(command.flags, args);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int code = command.run(*parsed);
  CommandRun r{code, ::testing::internal::GetCapturedStdout(),
               ::testing::internal::GetCapturedStderr()};
  return r;
}

std::string TempDir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::path(std::getenv("TEST_TMPDIR")) / name;
  std::filesystem::create_directories(dir);
  return dir.string();
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(QuantizeCommandTest, UsageErrors) {
  CommandRun r = RunCommand(QuantizeCommand(), {"--output", "x.gguf"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--input and --output are required"));
  r = RunCommand(QuantizeCommand(),
                 {"-i", "in.bin", "-o", "x.gguf", "--type", "q4_k"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("unsupported output type 'q4_k' (supported: "
                               "f32, f16, bf16, q8_0, q4_0,"));
}

TEST(QuantizeCommandTest, UnsupportedInputs) {
  const std::string dir = TempDir("unsupported");
  const std::string out = dir + "/out.gguf";
  CommandRun r =
      RunCommand(QuantizeCommand(), {"-i", dir + "/missing", "-o", out});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("missing"));

  // A folder without config.json.
  r = RunCommand(QuantizeCommand(), {"-i", dir, "-o", out});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("no config.json"));

  // An architecture we do not convert.
  Write(dir + "/config.json", R"({"architectures": ["BertModel"]})");
  r = RunCommand(QuantizeCommand(), {"-i", dir, "-o", out});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("unsupported model architecture 'BertModel'"));

  // A llama2.c-looking file without --tokenizer.
  Write(dir + "/model.bin", std::string(100, '\0'));
  r = RunCommand(QuantizeCommand(), {"-i", dir + "/model.bin", "-o", out});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--tokenizer"));

  // A PyTorch pickle.
  Write(dir + "/consolidated.00.pth", "PK");
  r = RunCommand(QuantizeCommand(),
                 {"-i", dir + "/consolidated.00.pth", "-o", out});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("PyTorch pickle, which is not supported"));
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(InspectCommandTest, Errors) {
  CommandRun r = RunCommand(InspectCommand(), {});
  EXPECT_EQ(r.code, 2);
  const std::string dir = TempDir("inspect");
  Write(dir + "/not.gguf", "definitely not a gguf file");
  r = RunCommand(InspectCommand(), {dir + "/not.gguf"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("edgellm inspect: "));
}

TEST(QuantizeInspectTest, Stories260KRoundTrip) {
  const std::string model =
      edgellm::testing::SharedFileOrEmpty("models/stories260K/stories260K.bin");
  const std::string tok =
      edgellm::testing::SharedFileOrEmpty("models/stories260K/tok512.bin");
  if (model.empty() || tok.empty()) {
    GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  }
  const std::string out = TempDir("round_trip") + "/s-q8_0.gguf";
  CommandRun q =
      RunCommand(QuantizeCommand(), {"--input", model, "--tokenizer", tok,
                                     "--output", out, "--type", "q8_0"});
  ASSERT_EQ(q.code, 0) << q.err;
  EXPECT_THAT(q.out, HasSubstr("[47/47]"));
  EXPECT_THAT(q.out, HasSubstr("blk.0.ffn_down.weight: kept as f32"));
  EXPECT_THAT(q.out, HasSubstr("wrote " + out));

  CommandRun text = RunCommand(InspectCommand(), {out});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("architecture: llama"));
  EXPECT_THAT(text.out, HasSubstr("file type: 7 (mostly q8_0)"));
  EXPECT_THAT(text.out, HasSubstr("tokenizer: llama, 512 tokens"));
  EXPECT_THAT(text.out, HasSubstr("chat template: absent"));

  CommandRun js = RunCommand(InspectCommand(), {out, "--json"});
  ASSERT_EQ(js.code, 0) << js.err;
  const nlohmann::json j = nlohmann::json::parse(js.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << js.out;
  EXPECT_EQ(j["architecture"], "llama");
  EXPECT_EQ(j["hyperparameters"]["block_count"], 5);
  EXPECT_EQ(j["tokenizer"]["tokens"], 512);
  EXPECT_EQ(j["tokenizer"]["special_tokens"]["bos"]["text"], "<s>");
  EXPECT_EQ(j["totals"]["tensors"], 47);
  EXPECT_EQ(j["totals"]["by_type"]["q8_0"]["tensors"], 31);
  EXPECT_EQ(j["totals"]["by_type"]["f32"]["tensors"], 16);
  // Quantized files list tensors in llama-quantize's order: those outside
  // the blocks first, by name.
  EXPECT_EQ(j["tensors"][0]["name"], "output_norm.weight");
  EXPECT_EQ(j["tensors"][1]["name"], "token_embd.weight");
  EXPECT_EQ(j["tensors"][1]["shape"], nlohmann::json({64, 512}));
}

// The decoder section: the architecture's row and the per-layer plan of a
// Gemma 3 model (five sliding-window layers per global one), and its KV
// memory per sequence, which holds only the window for the local layers:
// (5 x 16 + ctx) rows x 2 (keys, values) x kv_dim 64 x 4 bytes.
TEST(InspectCommandTest, DecoderDescriptionAndWindowedKvBytes) {
  const std::string model = edgellm::testing::SharedFileOrEmpty(
      "reference/models/gemma3-tiny-f32.gguf");
  if (model.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  CommandRun js =
      RunCommand(InspectCommand(), {model, "--json", "--ctx", "100"});
  ASSERT_EQ(js.code, 0) << js.err;
  const nlohmann::json j = nlohmann::json::parse(js.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << js.out;
  const nlohmann::json& d = j["decoder"];
  ASSERT_TRUE(d["supported"].get<bool>()) << d.dump();
  EXPECT_EQ(d["kv_bytes_per_slot_f32"], (5 * 16 + 100) * 2 * 64 * 4);
  EXPECT_EQ(d["kv_bytes_per_slot_f16"], (5 * 16 + 100) * 2 * 64 * 2);
  // q8_0: kv_dim 64 is two 34-byte blocks a position.
  EXPECT_EQ(d["kv_bytes_per_slot_q8_0"], (5 * 16 + 100) * 2 * 2 * 34);
  EXPECT_EQ(d["global_layers"], 1);
  EXPECT_THAT(d["layers"].get<std::string>(),
              HasSubstr("5 local (window 16, rope base 10000)"));
  EXPECT_THAT(d["blocks"].dump(), HasSubstr("qk-norm per head"));
  CommandRun text = RunCommand(InspectCommand(), {model});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("decoder: rope neox, geglu"));
  EXPECT_THAT(text.out, HasSubstr("1 global (rope base 1e+06, scale 0.125)"));
  EXPECT_THAT(text.out, HasSubstr("bytes q8_0"));
}

}  // namespace
}  // namespace edgellm::cli
