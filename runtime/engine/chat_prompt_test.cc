// The engine's chat prompt: every conversation of ../shared/chat_templates,
// carried in a ChatRequest (edgellm.h) and rendered through ChatPrompt, must
// equal what Python's Jinja2 rendered from the recorded context (or fail
// with its error). A case whose context a ChatRequest cannot carry as
// recorded is counted apart (see Expressible). Plus the request checks and
// the choice between the model's template, an override and a family.
#include "runtime/engine/chat_prompt.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/chat/jinja/error.h"
#include "runtime/engine/testing/chat_cases.h"
#include "tests/testing/shared_dir.h"

namespace edgellm::engine {
namespace {

using Json = nlohmann::ordered_json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ChatPromptTest, EverySharedCaseRendersAsJinja2Did) {
  const std::string shared = edgellm::testing::SharedDirOrEmpty();
  if (shared.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  const std::vector<testing::SharedTemplate> templates =
      testing::ReadSharedTemplates(shared + "/chat_templates");
  ASSERT_FALSE(templates.empty());
  int total = 0, expressible = 0, passed = 0;
  for (const testing::SharedTemplate& t : templates) {
    // The shared records' special tokens.
    const ChatTokens tokens{.bos = "<s>", .eos = "</s>"};
    absl::StatusOr<ChatPrompt> prompt =
        ChatPrompt::FromJinja(t.source, ChatPromptSource::kFile, tokens);
    ASSERT_TRUE(prompt.ok()) << t.name << ": " << prompt.status();
    prompt->set_clock(testing::SharedCasesNow);
    for (const testing::ChatCase& c : t.cases) {
      ++total;
      ASSERT_EQ(c.context["bos_token"], "<s>");
      ASSERT_EQ(c.context["eos_token"], "</s>");
      if (!testing::Expressible(c.context)) continue;
      ++expressible;
      const std::string where = t.name + " / " + c.name;
      const absl::StatusOr<std::string> got =
          prompt->Render(testing::RequestFromContext(c.context));
      if (c.output.has_value()) {
        EXPECT_TRUE(got.ok()) << where << ": " << got.status();
        if (got.ok()) {
          EXPECT_EQ(*got, *c.output) << where;
          if (*got == *c.output) ++passed;
        }
      } else {
        EXPECT_FALSE(got.ok()) << where << ": rendered, want " << *c.error;
        if (!got.ok()) {
          EXPECT_EQ(chat::jinja::ErrorText(got.status()), *c.error) << where;
          EXPECT_THAT(std::string(got.status().message()),
                      StartsWith("messages: the chat template failed at "))
              << where;
          if (chat::jinja::ErrorText(got.status()) == *c.error) ++passed;
        }
      }
    }
  }
  std::cout << "engine chat prompt: templates=" << templates.size()
            << " cases=" << total << " expressible=" << expressible
            << " passed=" << passed << "\n";
  EXPECT_EQ(passed, expressible);
}

ChatRequest OneUserTurn(std::string text) {
  ChatRequest r;
  r.messages.push_back({"user", std::move(text)});
  return r;
}

constexpr char kEchoTemplate[] =
    "{{ bos_token }}{% for m in messages %}{{ m | tojson }}\n{% endfor %}"
    "{% if tools is defined %}tools={{ tools | tojson }}\n{% endif %}"
    "{% if add_generation_prompt %}[gen]{% endif %}"
    "{% if enable_thinking is defined %}think={{ enable_thinking }}"
    "{% endif %}{{ eos_token }}";

TEST(ChatPromptTest, TheContextHasEveryFieldInOpenAiShape) {
  absl::StatusOr<ChatPrompt> p = ChatPrompt::FromJinja(
      kEchoTemplate, ChatPromptSource::kModel, {.bos = "<s>", .eos = "</s>"});
  ASSERT_TRUE(p.ok()) << p.status();
  ChatRequest r;
  r.messages.push_back({"user", "Weather in Paris?"});
  ChatMessage call;
  call.role = "assistant";
  call.tool_calls.push_back({.id = "call_1",
                             .name = "get_weather",
                             .arguments = R"({"city":"Paris"})"});
  call.tool_calls.push_back({.name = "note", .arguments = "not json"});
  r.messages.push_back(call);
  ChatMessage result;
  result.role = "tool";
  result.tool_call_id = "call_1";
  result.name = "get_weather";
  result.content = "18C";
  r.messages.push_back(result);
  ChatMessage parts;
  parts.role = "user";
  parts.content_parts = {{"text", "a"}, {"text", "b"}};
  r.messages.push_back(parts);
  r.tools.push_back(
      {"get_weather", "Weather now.",
       R"({"type":"object","properties":{"city":{"type":"string"}}})"});
  r.template_kwargs = R"({"enable_thinking": false})";
  absl::StatusOr<std::string> text = p->Render(r);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(
      *text,
      "<s>"
      R"({"role": "user", "content": "Weather in Paris?"})"
      "\n"
      R"({"role": "assistant", "content": "", "tool_calls": [)"
      R"({"id": "call_1", "type": "function", "function": )"
      R"({"name": "get_weather", "arguments": {"city": "Paris"}}}, )"
      R"({"type": "function", "function": {"name": "note", )"
      R"("arguments": "not json"}}]})"
      "\n"
      R"({"role": "tool", "tool_call_id": "call_1", "name": )"
      R"("get_weather", "content": "18C"})"
      "\n"
      R"({"role": "user", "content": [{"type": "text", "text": "a"}, )"
      R"({"type": "text", "text": "b"}]})"
      "\n"
      R"(tools=[{"type": "function", "function": {"name": "get_weather", )"
      R"("description": "Weather now.", "parameters": {"type": "object", )"
      R"("properties": {"city": {"type": "string"}}}}}])"
      "\n[gen]think=False</s>");
  EXPECT_EQ(ToolsJson(r),
            R"([{"type":"function","function":{"name":"get_weather",)"
            R"("description":"Weather now.","parameters":{"type":"object",)"
            R"("properties":{"city":{"type":"string"}}}}}])");
}

TEST(ChatPromptTest, BadRequestsNameTheField) {
  absl::StatusOr<ChatPrompt> p = ChatPrompt::FromJinja(
      kEchoTemplate, ChatPromptSource::kModel, {.bos = "<s>", .eos = "</s>"});
  ASSERT_TRUE(p.ok());
  struct Case {
    ChatRequest request;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({ChatRequest(), "messages: empty"});
  {
    ChatRequest r = OneUserTurn("hi");
    r.messages[0].role = "";
    cases.push_back({r, "messages[0].role"});
  }
  {
    ChatRequest r = OneUserTurn("hi");
    r.messages[0].content_parts = {{"text", "x"}};
    cases.push_back({r, "messages[0].content_parts"});
  }
  {
    ChatRequest r = OneUserTurn("hi");
    ChatMessage m;
    m.role = "assistant";
    m.tool_calls.push_back({.name = "", .arguments = "{}"});
    r.messages.push_back(m);
    cases.push_back({r, "messages[1].tool_calls[0].name"});
  }
  {
    ChatRequest r = OneUserTurn("hi");
    r.tools.push_back({"f", "", "[1, 2]"});
    cases.push_back({r, "tools[0].parameters: must be a JSON object"});
  }
  {
    ChatRequest r = OneUserTurn("hi");
    r.tools.push_back({"f", "", "{\"a\": "});
    cases.push_back({r, "tools[0].parameters: not valid JSON"});
  }
  {
    ChatRequest r = OneUserTurn("hi");
    r.tools.push_back({"", "", ""});
    cases.push_back({r, "tools[0].name"});
  }
  {
    ChatRequest r = OneUserTurn("hi");
    r.tools.assign(RequestLimits::kMaxChatTools + 1, ChatTool{"f", "", ""});
    cases.push_back({r, "tools: "});
  }
  {
    ChatRequest r = OneUserTurn("hi");
    r.template_kwargs = R"({"messages": []})";
    cases.push_back({r, "template_kwargs: \"messages\""});
  }
  {
    ChatRequest r = OneUserTurn("hi");
    r.template_kwargs = "true";
    cases.push_back({r, "template_kwargs: must be a JSON object"});
  }
  {
    ChatRequest r = OneUserTurn("hi");
    r.template_kwargs =
        "{\"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
    cases.push_back({r, "template_kwargs: JSON nested deeper than"});
  }
  {
    ChatRequest r;
    r.messages.assign(RequestLimits::kMaxChatMessages + 1,
                      ChatMessage{"user", "x"});
    cases.push_back({r, "messages: "});
  }
  for (const Case& c : cases) {
    const absl::StatusOr<std::string> got = p->Render(c.request);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument)
        << c.field << ": " << got.status();
    EXPECT_THAT(std::string(got.status().message()), StartsWith(c.field));
  }
}

TEST(ChatPromptTest, TemplateErrorsSayWhereAndWhat) {
  absl::StatusOr<ChatPrompt> p = ChatPrompt::FromJinja(
      "{% if messages[0].role == 'system' %}\n"
      "  {{ raise_exception('System role not supported') }}\n"
      "{% endif %}ok",
      ChatPromptSource::kModel, {});
  ASSERT_TRUE(p.ok());
  ChatRequest r = OneUserTurn("hi");
  EXPECT_EQ(*p->Render(r), "ok");
  r.messages[0].role = "system";
  const absl::Status s = p->Render(r).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              StartsWith("messages: the chat template failed at template "
                         "line 2"));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("TemplateError: System role not supported"));
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(ChatPromptTest, TheOverrideTheModelsTemplateOrAFamily) {
  const std::string chatml =
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}"
      "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}"
      "<|im_start|>assistant\n{% endif %}";
  ChatPromptInputs in;
  in.tokens = {.bos = "<s>", .eos = "</s>"};
  in.model_template = chatml;
  {
    absl::StatusOr<ChatPrompt> p = ChatPrompt::Create(in);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->source(), ChatPromptSource::kModel);
    EXPECT_EQ(p->name(), "jinja");
    EXPECT_EQ(*p->Render(OneUserTurn("hi")),
              "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  }
  {
    // A file overrides the model's template.
    ChatPromptInputs file = in;
    file.override_option =
        WriteTemp("override.jinja", "[{{ messages[0].content }}]");
    absl::StatusOr<ChatPrompt> p = ChatPrompt::Create(file);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->source(), ChatPromptSource::kFile);
    EXPECT_EQ(*p->Render(OneUserTurn("hi")), "[hi]");
  }
  {
    // A family by name overrides it too.
    ChatPromptInputs family = in;
    family.override_option = "llama2";
    absl::StatusOr<ChatPrompt> p = ChatPrompt::Create(family);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->source(), ChatPromptSource::kFamily);
    EXPECT_EQ(p->name(), "llama2");
    EXPECT_THAT(*p->Render(OneUserTurn("hi")), HasSubstr("[INST]"));
    ChatRequest tools = OneUserTurn("hi");
    tools.tools.push_back({"f", "", ""});
    EXPECT_THAT(std::string(p->Render(tools).status().message()),
                StartsWith("tools: "));
  }
  {
    // A model template that does not parse falls back to the family it
    // looks like, and says why.
    ChatPromptInputs broken = in;
    broken.model_template = chatml + "{% if %}";
    absl::StatusOr<ChatPrompt> p = ChatPrompt::Create(broken);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->source(), ChatPromptSource::kFamily);
    EXPECT_EQ(p->name(), "chatml");
    EXPECT_THAT(p->error(), HasSubstr("does not parse"));
    EXPECT_THAT(p->error(), HasSubstr("chatml"));
    EXPECT_EQ(*p->Render(OneUserTurn("hi")),
              "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  }
  {
    // ... or, resembling none, leaves Chat failing with the parse error.
    ChatPromptInputs broken = in;
    broken.model_template = "{% if %}";
    absl::StatusOr<ChatPrompt> p = ChatPrompt::Create(broken);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->source(), ChatPromptSource::kNone);
    EXPECT_THAT(p->error(), HasSubstr("TemplateSyntaxError"));
    EXPECT_EQ(p->Render(OneUserTurn("hi")).status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
  {
    ChatPromptInputs none = in;
    none.model_template.reset();
    absl::StatusOr<ChatPrompt> p = ChatPrompt::Create(none);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->source(), ChatPromptSource::kNone);
    EXPECT_THAT(p->error(), HasSubstr("--chat-template"));
    // ... unless the architecture says which family its models use.
    none.architecture_family = "gemma";
    absl::StatusOr<ChatPrompt> arch = ChatPrompt::Create(none);
    ASSERT_TRUE(arch.ok());
    EXPECT_EQ(arch->source(), ChatPromptSource::kFamily);
    EXPECT_EQ(arch->name(), "gemma");
    EXPECT_EQ(arch->error(), "");
    EXPECT_THAT(*arch->Render(OneUserTurn("hi")),
                HasSubstr("<start_of_turn>user\nhi<end_of_turn>"));
    // The file's own template still wins over the architecture's family.
    ChatPromptInputs both = in;
    both.architecture_family = "gemma";
    EXPECT_EQ(ChatPrompt::Create(both)->source(), ChatPromptSource::kModel);
  }
  {
    // The model's named tool_use template renders requests with tools.
    ChatPromptInputs named = in;
    named.model_tool_use_template = "tools:{{ tools | length }}";
    absl::StatusOr<ChatPrompt> p = ChatPrompt::Create(named);
    ASSERT_TRUE(p.ok());
    ChatRequest r = OneUserTurn("hi");
    EXPECT_THAT(*p->Render(r), StartsWith("<|im_start|>"));
    r.tools.push_back({"f", "", ""});
    EXPECT_EQ(*p->Render(r), "tools:1");
  }
  for (const std::string& bad :
       {std::string("no-such-family"), std::string("/nonexistent.jinja"),
        WriteTemp("bad.jinja", "{% for %}")}) {
    ChatPromptInputs b = in;
    b.override_option = bad;
    absl::StatusOr<ChatPrompt> p = ChatPrompt::Create(b);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(p.status().message()),
                StartsWith("chat_template: "))
        << bad;
  }
}

}  // namespace
}  // namespace edgellm::engine
