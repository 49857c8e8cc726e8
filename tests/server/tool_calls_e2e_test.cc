// Chat with tools over gRPC, end to end: the real `edgellm serve` (its
// scripted-replies variant, tests/server/edgellm_with_scripted_replies.cc)
// on a tiny random model the test writes, with the Hermes-style template of
// tests/server/tools. The model "says" the replies of
// tools/weather_replies.json; everything after the sampler is production
// code: the template renders the tools and the tool result, the output
// parser splits the reply into reasoning and a tool call, the service maps
// them onto GenerateResponse. Expected values are read from the replies
// file, not written here.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "edgellm/v1/edgellm.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/model/random_model.h"
#include "tests/server/server_process.h"

namespace edgellm {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kTemplate[] = "tests/server/tools/hermes_tools.jinja";
constexpr char kReplies[] = "tests/server/tools/weather_replies.json";
constexpr char kWeatherSchema[] =
    R"({"type": "object", "properties": {"location": {"type": "string"}, )"
    R"("unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, )"
    R"("required": ["location"]})";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The text between `open` and `close` in `s` ("" when absent).
std::string Between(const std::string& s, const std::string& open,
                    const std::string& close) {
  const size_t a = s.find(open);
  if (a == std::string::npos) return "";
  const size_t b = s.find(close, a + open.size());
  if (b == std::string::npos) return "";
  return s.substr(a + open.size(), b - a - open.size());
}

// What the scripted model says: the call (name, compact arguments), the
// reasoning before it, and the answer once the tool result is in.
struct Script {
  std::string call_name;
  std::string call_arguments;
  std::string reasoning;
  std::string answer;
};

Script ReadScript() {
  const nlohmann::json replies = nlohmann::json::parse(ReadFile(kReplies));
  Script s;
  for (const nlohmann::json& r : replies) {
    const std::string reply = r["reply"].get<std::string>();
    const std::string call = Between(reply, "<tool_call>", "</tool_call>");
    if (call.empty()) {
      s.answer = reply;
      continue;
    }
    const nlohmann::json parsed = nlohmann::json::parse(call);
    s.call_name = parsed["name"].get<std::string>();
    s.call_arguments = parsed["arguments"].dump();
    s.reasoning = std::string(
        absl::StripAsciiWhitespace(Between(reply, "<think>", "</think>")));
  }
  return s;
}

struct ChatResult {
  std::string text;
  std::string reasoning;
  std::vector<v1::ToolCall> calls;
  int responses_with_calls = 0;
  int responses = 0;
  v1::FinishReason finish = v1::FINISH_REASON_UNSPECIFIED;
  grpc::Status status;
};

ChatResult RunChat(v1::EdgeLlm::Stub& stub, const v1::ChatRequest& request) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  std::unique_ptr<grpc::ClientReader<v1::GenerateResponse>> reader =
      stub.Chat(&context, request);
  ChatResult result;
  v1::GenerateResponse response;
  while (reader->Read(&response)) {
    ++result.responses;
    result.text += response.text();
    result.reasoning += response.reasoning();
    if (response.tool_calls_size() > 0) ++result.responses_with_calls;
    for (const v1::ToolCall& c : response.tool_calls()) {
      result.calls.push_back(c);
    }
    if (response.finish_reason() != v1::FINISH_REASON_UNSPECIFIED) {
      result.finish = response.finish_reason();
    }
  }
  result.status = reader->Finish();
  return result;
}

v1::ChatRequest WeatherQuestion() {
  v1::ChatRequest r;
  v1::ChatMessage* m = r.add_messages();
  m->set_role("user");
  m->set_content("What is the weather in Paris?");
  v1::Tool* tool = r.add_tools();
  tool->set_name("get_weather");
  tool->set_description("The weather now at a place.");
  tool->set_parameters(kWeatherSchema);
  r.mutable_sampling()->set_temperature(0.0f);
  r.mutable_limits()->set_max_tokens(200);
  return r;
}

class ToolCallsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* dir = std::getenv("TEST_TMPDIR");
    model_ = new std::string(absl::StrCat(dir ? dir : "/tmp", "/tiny.gguf"));
    absl::StatusOr<model::RandomModelSpec> spec =
        model::NamedRandomModelSpec("tiny");
    ASSERT_TRUE(spec.ok()) << spec.status();
    ASSERT_TRUE(model::WriteRandomModel(*spec, *model_, false).ok());
  }
  static void TearDownTestSuite() { delete model_; }

  void SetUp() override {
    server_.set_binary("tests/server/edgellm_with_scripted_replies");
    const absl::Status started = server_.Start(
        {"--model", *model_, "--threads", "1", "--ctx", "1024",
         "--chat-template", kTemplate, "--scripted-replies", kReplies});
    ASSERT_TRUE(started.ok()) << started;
    stub_ = v1::EdgeLlm::NewStub(grpc::CreateChannel(
        server_.address(), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { EXPECT_EQ(server_.Stop(SIGTERM), 0); }

  static std::string* model_;
  testing::ServerProcess server_;
  std::unique_ptr<v1::EdgeLlm::Stub> stub_;
};

std::string* ToolCallsE2eTest::model_ = nullptr;

TEST_F(ToolCallsE2eTest, AWeatherRoundTrip) {
  const Script script = ReadScript();
  ASSERT_FALSE(script.call_name.empty());
  ASSERT_FALSE(script.answer.empty());

  const v1::ChatRequest first = WeatherQuestion();
  const ChatResult call = RunChat(*stub_, first);
  ASSERT_TRUE(call.status.ok()) << call.status.error_message();
  EXPECT_EQ(call.finish, v1::FINISH_REASON_TOOL_CALLS);
  ASSERT_EQ(call.calls.size(), 1u);
  EXPECT_EQ(call.responses_with_calls, 1);
  EXPECT_EQ(call.calls[0].index(), 0);
  EXPECT_EQ(call.calls[0].name(), script.call_name);
  EXPECT_EQ(call.calls[0].arguments(), script.call_arguments);
  EXPECT_THAT(call.calls[0].id(), StartsWith("call_"));
  EXPECT_EQ(absl::StripAsciiWhitespace(call.reasoning), script.reasoning);
  // No markup leaks into the content.
  EXPECT_EQ(absl::StripAsciiWhitespace(call.text), "");
  // Streamed token by token, not in one piece.
  EXPECT_GT(call.responses, 10);

  v1::ChatRequest second = first;
  v1::ChatMessage* assistant = second.add_messages();
  assistant->set_role("assistant");
  assistant->set_reasoning_content(call.reasoning);
  *assistant->add_tool_calls() = call.calls[0];
  v1::ChatMessage* result = second.add_messages();
  result->set_role("tool");
  result->set_tool_call_id(call.calls[0].id());
  result->set_name(call.calls[0].name());
  result->set_content(R"({"temperature": 18, "sky": "rain"})");
  const ChatResult answer = RunChat(*stub_, second);
  ASSERT_TRUE(answer.status.ok()) << answer.status.error_message();
  EXPECT_EQ(answer.text, script.answer);
  EXPECT_TRUE(answer.calls.empty());
  EXPECT_EQ(answer.reasoning, "");
  EXPECT_EQ(answer.finish, v1::FINISH_REASON_END_OF_GENERATION);

  // The request log names both calls.
  EXPECT_TRUE(server_.WaitForLog("request 2 Chat"));
}

TEST_F(ToolCallsE2eTest, ToolChoiceNoneLeavesTheToolsOut) {
  // The scripted model calls the tool whenever the prompt lists it, so a
  // reply without a call shows the tools were not rendered.
  v1::ChatRequest request = WeatherQuestion();
  request.set_tool_choice(v1::TOOL_CHOICE_NONE);
  const ChatResult none = RunChat(*stub_, request);
  ASSERT_TRUE(none.status.ok()) << none.status.error_message();
  EXPECT_TRUE(none.calls.empty());
  EXPECT_EQ(none.finish, v1::FINISH_REASON_END_OF_GENERATION);

  request.set_tool_choice(v1::TOOL_CHOICE_AUTO);
  const ChatResult automatic = RunChat(*stub_, request);
  ASSERT_TRUE(automatic.status.ok()) << automatic.status.error_message();
  EXPECT_EQ(automatic.calls.size(), 1u);
  EXPECT_EQ(automatic.finish, v1::FINISH_REASON_TOOL_CALLS);
}

TEST_F(ToolCallsE2eTest, TemplateKwargsReachTheTemplate) {
  v1::ChatRequest request = WeatherQuestion();
  request.set_template_kwargs(R"({"enable_thinking": false})");
  const ChatResult got = RunChat(*stub_, request);
  EXPECT_TRUE(got.status.ok()) << got.status.error_message();
  // They may not set what the request sets itself.
  request.set_template_kwargs(R"({"messages": []})");
  const ChatResult refused = RunChat(*stub_, request);
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.status.error_message(), StartsWith("template_kwargs"));
}

TEST_F(ToolCallsE2eTest, BadToolFieldsAreNamed) {
  struct Case {
    v1::ChatRequest request;
    std::string field;
  };
  std::vector<Case> cases;
  {
    v1::ChatRequest r = WeatherQuestion();
    v1::Tool* t = r.add_tools();
    t->set_name("broken");
    t->set_parameters("{\"type\": ");
    cases.push_back({r, "tools[1].parameters: not valid JSON"});
  }
  {
    v1::ChatRequest r = WeatherQuestion();
    r.mutable_tools(0)->set_parameters("[1, 2]");
    cases.push_back({r, "tools[0].parameters: must be a JSON object"});
  }
  {
    v1::ChatRequest r = WeatherQuestion();
    r.mutable_tools(0)->set_name("");
    cases.push_back({r, "tools[0].name"});
  }
  {
    v1::ChatRequest r = WeatherQuestion();
    std::string deep;
    for (int i = 0; i < 100; ++i) deep += "{\"a\": ";
    deep += "1";
    for (int i = 0; i < 100; ++i) deep += "}";
    r.mutable_tools(0)->set_parameters(deep);
    cases.push_back({r, "tools[0].parameters: JSON nested deeper"});
  }
  {
    v1::ChatRequest r = WeatherQuestion();
    for (int i = 0; i < 200; ++i) *r.add_tools() = r.tools(0);
    cases.push_back({r, "tools: 201 tools; at most"});
  }
  {
    v1::ChatRequest r = WeatherQuestion();
    v1::ChatMessage* m = r.add_messages();
    m->set_role("assistant");
    m->add_tool_calls()->set_arguments("{}");
    cases.push_back({r, "messages[1].tool_calls[0].name"});
  }
  {
    v1::ChatRequest r = WeatherQuestion();
    r.set_template_kwargs("not json");
    cases.push_back({r, "template_kwargs: not valid JSON"});
  }
  {
    v1::ChatRequest r = WeatherQuestion();
    r.set_tool_choice(static_cast<v1::ToolChoice>(7));
    cases.push_back({r, "tool_choice"});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    const ChatResult got = RunChat(*stub_, c.request);
    EXPECT_EQ(got.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << got.status.error_message();
    EXPECT_THAT(got.status.error_message(), StartsWith(c.field));
    EXPECT_EQ(got.responses, 0);
  }
}

}  // namespace
}  // namespace edgellm
