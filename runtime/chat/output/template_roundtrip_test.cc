// Every shared chat template (../shared/chat_templates) against the parser:
// the format detected from its source, and its own rendering of the
// conversation's tool calls and reasoning (what the model was trained to
// write) parsed back into the calls and reasoning of the conversation.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/chat/output/output_parser.h"
#include "tests/testing/shared_dir.h"

namespace edgellm::chat::output {
namespace {

using Json = nlohmann::ordered_json;

struct Expectation {
  const char* tools;      // ToolCallSyntaxName
  const char* reasoning;  // ReasoningSyntaxName
  // The case whose assistant tool calls the template renders ("" = the
  // template renders none, or a layout we do not read).
  const char* calls_case;
  // reasoning_last_turn renders the assistant's reasoning.
  bool renders_reasoning;
};

// Written by reading each template's assistant-turn layout.
const std::map<std::string, Expectation>& Expected() {
  static const auto* const m = new std::map<std::string, Expectation>{
      {"Apriel-1.6-15b-Thinker-fixed",
       {"apriel", "apriel", "parallel_tool_calls", true}},
      {"Bielik-11B-v3.0-Instruct",
       {"hermes", "think", "parallel_tool_calls", true}},
      {"ByteDance-Seed-OSS",
       {"seed-oss", "seed-think", "parallel_tool_calls", true}},
      {"CohereForAI-c4ai-command-r7b-12-2024-tool_use",
       {"command-r", "command-r", "parallel_tool_calls", false}},
      {"GLM-4.6", {"glm", "think", "parallel_tool_calls", true}},
      {"GLM-4.7-Flash", {"glm", "think", "parallel_tool_calls", true}},
      // GigaChat writes a call as its own "function call" turn.
      {"GigaChat3-10B-A1.8B", {"generic", "none", "", false}},
      {"GigaChat3.1-10B-A1.8B", {"generic", "none", "", false}},
      {"HuggingFaceTB-SmolLM3-3B", {"generic", "think", "", false}},
      {"Kimi-K2-Instruct", {"kimi-k2", "none", "", false}},
      {"Kimi-K2-Thinking", {"kimi-k2", "think", "", false}},
      {"LFM2-8B-A1B", {"lfm2", "none", "", false}},
      {"LFM2.5-Instruct", {"lfm2", "think", "", false}},
      {"MiMo-VL", {"hermes", "none", "parallel_tool_calls", false}},
      {"MiniMax-M1", {"minimax-m1", "none", "parallel_tool_calls", false}},
      {"MiniMax-M2", {"minimax-m2", "think", "parallel_tool_calls", true}},
      {"Mistral-Small-3.2-24B-Instruct-2506",
       {"mistral", "none", "parallel_tool_calls", false}},
      {"NVIDIA-Nemotron-Nano-v2",
       {"nemotron", "think", "parallel_tool_calls", false}},
      {"NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use",
       {"hermes", "none", "parallel_tool_calls", false}},
      {"NousResearch-Hermes-3-Llama-3.1-8B-tool_use",
       {"hermes", "none", "parallel_tool_calls", false}},
      {"Qwen-QwQ-32B", {"hermes", "think", "parallel_tool_calls", false}},
      {"Qwen-Qwen2.5-7B-Instruct",
       {"hermes", "none", "parallel_tool_calls", false}},
      {"Qwen3-Coder", {"qwen3-coder", "none", "parallel_tool_calls", false}},
      {"deepseek-ai-DeepSeek-R1-Distill-Llama-8B",
       {"deepseek", "think", "", false}},
      {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B",
       {"deepseek", "think", "parallel_tool_calls", false}},
      {"deepseek-ai-DeepSeek-V3.1",
       {"deepseek", "think", "parallel_tool_calls", false}},
      {"deepseek-ai-DeepSeek-V4-Flash-0731",
       {"deepseek-dsml", "think", "parallel_tool_calls", true}},
      {"deepseek-ai-DeepSeek-V4",
       {"deepseek-dsml", "think", "parallel_tool_calls", true}},
      {"fireworks-ai-llama-3-firefunction-v2",
       {"firefunction", "none", "", false}},
      {"google-gemma-2-2b-it", {"gemma", "none", "", false}},
      {"ibm-granite-granite-3.3-2B-Instruct",
       {"phi4-mini", "think", "", false}},
      {"ibm-granite-granite-4.0",
       {"hermes", "none", "parallel_tool_calls", false}},
      {"ibm-granite-granite-4.1",
       {"hermes", "none", "parallel_tool_calls", false}},
      {"llama-cpp-deepseek-r1",
       {"deepseek", "think", "tool_call_string_args", false}},
      {"llama-cpp-rwkv-world", {"generic", "think", "", false}},
      {"microsoft-Phi-3.5-mini-instruct", {"generic", "none", "", false}},
      {"moonshotai-Kimi-K2", {"kimi-k2", "none", "parallel_tool_calls", false}},
      {"muse-glimmer", {"glimmer", "none", "parallel_tool_calls", false}},
      {"poolside-Laguna-S-2.1", {"glm", "think", "parallel_tool_calls", true}},
      {"poolside-Laguna-XS-2.1", {"glm", "think", "parallel_tool_calls", true}},
      {"poolside-Laguna-XS.2", {"glm", "think", "parallel_tool_calls", true}},
      {"unsloth-Apriel-1.5",
       {"apriel", "apriel", "parallel_tool_calls", false}},
      {"unsloth-mistral-Devstral-Small-2507",
       {"mistral", "none", "parallel_tool_calls", false}},
      {"upstage-Solar-Open-100B",
       {"solar", "none", "parallel_tool_calls", false}},
  };
  return *m;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The table's templates (each must exist in the folder).
std::vector<std::string> TemplateNames() {
  std::vector<std::string> names;
  for (const auto& [name, e] : Expected()) names.push_back(name);
  return names;
}

// The record of `case_name` in NAME.jsonl.
Json Record(const std::string& dir, const std::string& name,
            const std::string& case_name) {
  std::istringstream lines(ReadFile(dir + "/" + name + ".jsonl"));
  for (std::string line; std::getline(lines, line);) {
    Json r = Json::parse(line, nullptr, false);
    if (r.is_object() && r.value("case", "") == case_name) return r;
  }
  return Json();
}

std::string CompactArguments(const Json& arguments) {
  if (arguments.is_string()) {
    return Json::parse(arguments.get<std::string>()).dump();
  }
  return arguments.dump();
}

class TemplateRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    shared_ = edgellm::testing::SharedDirOrEmpty();
    if (shared_.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
    dir_ = shared_ + "/chat_templates";
  }
  std::string shared_, dir_;
};

TEST_F(TemplateRoundTripTest, DetectsEachTemplatesFormat) {
  int checked = 0;
  for (const std::string& name : TemplateNames()) {
    const std::string source = ReadFile(dir_ + "/" + name + ".jinja");
    ASSERT_FALSE(source.empty()) << name;
    const OutputFormat f = DetectOutputFormat({.template_source = source});
    const Expectation& e = Expected().at(name);
    EXPECT_EQ(ToolCallSyntaxName(f.tool_calls), std::string(e.tools)) << name;
    EXPECT_EQ(ReasoningSyntaxName(f.reasoning), std::string(e.reasoning))
        << name;
    ++checked;
  }
  EXPECT_EQ(checked, 44);
}

// The assistant turn that calls tools, as the template renders it: from the
// end of the user message before it to the first tool result. Parsed with
// the detected tool syntax, it must give the conversation's calls.
TEST_F(TemplateRoundTripTest, ParsesEachTemplatesOwnToolCallLayout) {
  int checked = 0;
  for (const std::string& name : TemplateNames()) {
    const Expectation& e = Expected().at(name);
    if (*e.calls_case == '\0') continue;
    const Json record = Record(dir_, name, e.calls_case);
    ASSERT_TRUE(record["output"].is_string()) << name << " " << e.calls_case;
    const std::string output = record["output"].get<std::string>();
    const Json& messages = record["context"]["messages"];
    size_t assistant = 0;
    while (!messages[assistant].contains("tool_calls")) ++assistant;
    const std::string user = messages[assistant - 1]["content"];
    const std::string tool_result = messages[assistant + 1]["content"];
    const std::string result_mark =
        tool_result.find("temperature") != std::string::npos
            ? "temperature"
            : tool_result.substr(0, 6);
    const size_t begin = output.find(user);
    ASSERT_NE(begin, std::string::npos) << name;
    const size_t end = output.find(result_mark, begin);
    ASSERT_NE(end, std::string::npos) << name;
    const std::string turn =
        output.substr(begin + user.size(), end - begin - user.size());

    const OutputFormat detected = DetectOutputFormat(
        {.template_source = ReadFile(dir_ + "/" + name + ".jinja")});
    ParseOptions options;
    if (record["context"].contains("tools")) {
      options.tools_json = record["context"]["tools"].dump();
    }
    // Reasoning is not what this test reads (Apriel's would swallow it).
    const absl::StatusOr<ParsedOutput> parsed = ParseOutput(
        turn, {ReasoningSyntax::kNone, detected.tool_calls}, options);
    ASSERT_TRUE(parsed.ok()) << parsed.status();

    const Json& want = messages[assistant]["tool_calls"];
    ASSERT_EQ(parsed->tool_calls.size(), want.size())
        << name << "\nturn: " << turn << "\ncontent: " << parsed->content;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(parsed->tool_calls[i].name,
                want[i]["function"]["name"].get<std::string>())
          << name;
      EXPECT_EQ(parsed->tool_calls[i].arguments,
                CompactArguments(want[i]["function"]["arguments"]))
          << name << "\nturn: " << turn;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 31);
}

// reasoning_last_turn renders an assistant turn with reasoning_content; the
// rendering after the user message parses back into that reasoning and the
// answer.
TEST_F(TemplateRoundTripTest, ParsesEachTemplatesOwnReasoningLayout) {
  int checked = 0;
  for (const std::string& name : TemplateNames()) {
    const Expectation& e = Expected().at(name);
    if (!e.renders_reasoning) continue;
    const Json record = Record(dir_, name, "reasoning_last_turn");
    ASSERT_TRUE(record["output"].is_string()) << name;
    const std::string output = record["output"].get<std::string>();
    const Json& messages = record["context"]["messages"];
    const Json& assistant = messages[messages.size() - 1];
    const std::string user = messages[messages.size() - 2]["content"];
    const std::string reasoning = assistant["reasoning_content"];
    const std::string answer = assistant["content"];

    const OutputFormat detected = DetectOutputFormat(
        {.template_source = ReadFile(dir_ + "/" + name + ".jinja")});
    // A syntax without an opening marker starts inside reasoning: the turn
    // then starts where the model's own text does.
    size_t begin = output.rfind(user) + user.size();
    if (PromptOpensReasoning("", detected.reasoning)) {
      begin = output.find(reasoning, begin);
    }
    const absl::StatusOr<ParsedOutput> parsed = ParseOutput(
        output.substr(begin), {detected.reasoning, ToolCallSyntax::kNone});
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->reasoning, reasoning) << name;
    EXPECT_NE(parsed->content.find(answer), std::string::npos)
        << name << ": " << parsed->content;
    EXPECT_EQ(parsed->content.find(reasoning), std::string::npos) << name;
    ++checked;
  }
  EXPECT_EQ(checked, 11);
}

}  // namespace
}  // namespace edgellm::chat::output
