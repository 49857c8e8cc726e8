#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/cli/commands.h"
#include "runtime/cli/run_command_for_test.h"
#include "tests/testing/shared_dir.h"

namespace edgellm::cli {
namespace {

using ::testing::HasSubstr;

using Result = CommandResult;

Result RunTokenize(const std::vector<std::string>& args) {
  Result r = RunCommandForTest(TokenizeCommand(), args);
  EXPECT_NE(r.code, -1) << r.err;
  return r;
}

TEST(TokenizeCommandTest, ErrorsAreClear) {
  Result r = RunTokenize({});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--model is required"));
  r = RunTokenize({"--model", "/nonexistent.gguf", "--text", "x"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot open"));
}

TEST(TokenizeCommandTest, TokenizerBinJsonAndText) {
  const std::string bin =
      edgellm::testing::SharedFileOrEmpty("models/stories260K/tok512.bin");
  if (bin.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  // Golden prompt_ids of "Once upon a time" (stories260K_greedy.jsonl).
  Result r = RunTokenize({"--model", bin, "--text", "Once upon a time",
                          "--add-special", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ids"], nlohmann::json({1, 403, 407, 261, 378}));
  EXPECT_EQ(j["pieces"][1], " Once");
  r = RunTokenize({"--model", bin, "--text", "Once upon a time"});
  ASSERT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("   403 -> ' Once'"));
  EXPECT_THAT(r.out, HasSubstr("4 tokens"));
}

TEST(TokenizeCommandTest, GgufWithSpecialParsing) {
  const std::string gguf =
      edgellm::testing::SharedFileOrEmpty("vocab/ggml-vocab-qwen2.gguf");
  if (gguf.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  Result r = RunTokenize({"-m", gguf, "-t", "<|im_start|>Hello world",
                          "--parse-special", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["ids"],
            nlohmann::json({151644, 9707, 1879}));
}

}  // namespace
}  // namespace edgellm::cli
