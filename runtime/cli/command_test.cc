#include "runtime/cli/command.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgellm::cli {
namespace {

const std::vector<FlagSpec> kSpecs = {
    {"model", FlagKind::kString, "", "model file", 'm'},
    {"max-tokens", FlagKind::kInt, "16", "tokens"},
    {"temperature", FlagKind::kDouble, "0.8", "temp"},
    {"json", FlagKind::kBool, "false", "json"},
};

TEST(ParseArgsTest, ParsesEveryFormAndAppliesDefaults) {
  auto parsed = ParseArgs(kSpecs, {"-m", "a.gguf", "--max-tokens=5", "--json",
                                   "pos", "--", "--not-a-flag"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->GetString("model"), "a.gguf");
  EXPECT_EQ(parsed->GetInt("max-tokens"), 5);
  EXPECT_DOUBLE_EQ(parsed->GetDouble("temperature"), 0.8);
  EXPECT_TRUE(parsed->GetBool("json"));
  EXPECT_TRUE(parsed->IsSet("model"));
  EXPECT_FALSE(parsed->IsSet("temperature"));
  EXPECT_THAT(parsed->positional(),
              ::testing::ElementsAre("pos", "--not-a-flag"));
}

TEST(ParseArgsTest, NegatedBool) {
  auto parsed = ParseArgs(kSpecs, {"--json", "--nojson"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(parsed->GetBool("json"));
}

TEST(ParseArgsTest, ErrorsNameTheFlag) {
  auto unknown = ParseArgs(kSpecs, {"--bogus"});
  EXPECT_THAT(std::string(unknown.status().message()),
              ::testing::HasSubstr("--bogus"));
  auto bad_int = ParseArgs(kSpecs, {"--max-tokens", "lots"});
  EXPECT_THAT(std::string(bad_int.status().message()),
              ::testing::HasSubstr("--max-tokens takes an integer"));
  auto missing = ParseArgs(kSpecs, {"--model"});
  EXPECT_THAT(std::string(missing.status().message()),
              ::testing::HasSubstr("--model needs a value"));
}

TEST(ParseArgsTest, RepeatedFlagKeepsEveryValueInOrder) {
  std::vector<FlagSpec> specs = kSpecs;
  specs.push_back({"text", FlagKind::kString, "", "a text", 't', true});
  auto parsed =
      ParseArgs(specs, {"--text", "a", "-t", "b b", "--text=", "--json"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(parsed->GetStrings("text"),
              ::testing::ElementsAre("a", "b b", ""));
  EXPECT_EQ(parsed->GetString("text"), "");
  auto none = ParseArgs(specs, {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->GetStrings("text").empty());
  Command c{.name = "x", .summary = "x", .usage = "x", .flags = specs};
  EXPECT_THAT(CommandHelp(c), ::testing::HasSubstr("(repeatable)"));
}

TEST(CommandHelpTest, ListsEveryFlagWithDefault) {
  Command c{
      .name = "x", .summary = "does x", .usage = "edgellm x", .flags = kSpecs};
  std::string help = CommandHelp(c);
  for (const FlagSpec& spec : kSpecs) {
    EXPECT_THAT(help, ::testing::HasSubstr("--" + spec.name));
  }
  EXPECT_THAT(help, ::testing::HasSubstr("(default: 16)"));
}

}  // namespace
}  // namespace edgellm::cli
