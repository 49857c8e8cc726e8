// Chat through the public API (edgellm.h) on a random-weight model the test
// writes, carrying a chat template in its own metadata:
//   - the prompt is exactly what the model's Jinja template renders (every
//     shared conversation of ../shared/chat_templates, through Engine's
//     RenderChat, against Python Jinja2's records);
//   - replies stream back parsed: tool calls, reasoning and content, from a
//     model that answers with scripted text (runtime/engine/testing), token
//     by token through the scheduler.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/chat/jinja/error.h"
#include "runtime/engine/edgellm.h"
#include "runtime/engine/testing/chat_cases.h"
#include "runtime/engine/testing/scripted_replies.h"
#include "runtime/model/random_model.h"
#include "tests/testing/gguf_with_metadata.h"
#include "tests/testing/shared_dir.h"

namespace edgellm {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

// A random tiny model (its vocabulary's BOS is "<s>", EOS "</s>", as in the
// shared records).
const std::string& TinyModel() {
  static const std::string* path = [] {
    auto* p = new std::string(TempPath("chat_test_tiny.gguf"));
    absl::StatusOr<model::RandomModelSpec> spec =
        model::NamedRandomModelSpec("tiny");
    EXPECT_TRUE(spec.ok());
    EXPECT_TRUE(model::WriteRandomModel(*spec, *p, false).ok());
    return p;
  }();
  return *path;
}

// The tiny model with `chat_template` as its tokenizer.chat_template.
std::string ModelWithTemplate(const std::string& name,
                              const std::string& chat_template) {
  const std::string path = TempPath(name + ".gguf");
  const absl::Status s = testing::CopyGgufWithStrings(
      TinyModel(), path, {{"tokenizer.chat_template", chat_template}});
  EXPECT_TRUE(s.ok()) << s;
  return path;
}

EngineOptions Options(const std::string& model) {
  EngineOptions o;
  o.model_path = model;
  o.threads = 1;
  o.parallel = 2;
  o.context = 1024;
  o.embedding_slot = false;
  return o;
}

TEST(ChatTest, RenderChatIsWhatTheModelsTemplateRenders) {
  const std::string shared = testing::SharedDirOrEmpty();
  if (shared.empty()) GTEST_SKIP() << testing::kNoSharedMessage;
  const std::vector<testing::SharedTemplate> templates =
      testing::ReadSharedTemplates(shared + "/chat_templates");
  ASSERT_FALSE(templates.empty());
  int engines = 0, cases = 0, passed = 0;
  for (const testing::SharedTemplate& t : templates) {
    // The engine's clock is the system's; these are checked with the
    // records' clock in chat_prompt_test.
    if (t.source.find("strftime_now") != std::string::npos) continue;
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Load(Options(ModelWithTemplate("shared_" + t.name, t.source)));
    ASSERT_TRUE(engine.ok()) << t.name << ": " << engine.status();
    ++engines;
    EXPECT_EQ((*engine)->info().chat_template_source, "model") << t.name;
    EXPECT_EQ((*engine)->info().chat_template, "jinja") << t.name;
    for (const testing::ChatCase& c : t.cases) {
      if (!testing::Expressible(c.context)) continue;
      ++cases;
      const std::string where = t.name + " / " + c.name;
      const absl::StatusOr<std::string> got =
          (*engine)->RenderChat(testing::RequestFromContext(c.context));
      if (c.output.has_value()) {
        EXPECT_TRUE(got.ok()) << where << ": " << got.status();
        if (got.ok() && *got == *c.output) {
          ++passed;
        } else if (got.ok()) {
          ADD_FAILURE() << where << ": output differs";
        }
      } else {
        EXPECT_FALSE(got.ok()) << where << ": want " << *c.error;
        if (!got.ok() && chat::jinja::ErrorText(got.status()) == *c.error) {
          ++passed;
        } else if (!got.ok()) {
          ADD_FAILURE() << where << ": " << got.status() << ", want "
                        << *c.error;
        }
      }
    }
  }
  std::cout << "Engine::RenderChat: templates=" << engines << " cases=" << cases
            << " passed=" << passed << "\n";
  EXPECT_EQ(passed, cases);
}

// A Hermes-style template of our own: tools in the system turn, calls as
// <tool_call> JSON, results as <tool_response> in a user turn.
constexpr char kToolTemplate[] =
    "{% if tools %}<|im_start|>system\n<tools>\n"
    "{% for t in tools %}{{ t | tojson }}\n{% endfor %}</tools><|im_end|>\n"
    "{% endif %}"
    "{% for m in messages %}"
    "{% if m.role == 'assistant' and m.tool_calls %}<|im_start|>assistant\n"
    "{% for c in m.tool_calls %}<tool_call>\n{\"name\": \""
    "{{ c.function.name }}\", \"arguments\": "
    "{{ c.function.arguments | tojson }}}\n</tool_call>{% endfor %}"
    "<|im_end|>\n"
    "{% elif m.role == 'tool' %}<|im_start|>user\n<tool_response>\n"
    "{{ m.content }}\n</tool_response><|im_end|>\n"
    "{% else %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

constexpr char kWeatherSchema[] =
    R"({"type": "object", "properties": {"location": {"type": "string"}}, )"
    R"("required": ["location"]})";

struct ChatReply {
  std::string text;  // content
  std::string reasoning;
  std::vector<ToolCall> calls;
  FinishReason finish = FinishReason::kNone;
  absl::Status status;
  int events = 0;
};

ChatReply RunChat(Engine& engine, ChatRequest request) {
  request.options.max_tokens = 200;
  ChatReply reply;
  absl::StatusOr<std::shared_ptr<GenerationStream>> stream =
      engine.SubmitChat(std::move(request));
  if (!stream.ok()) {
    reply.status = stream.status();
    return reply;
  }
  while (true) {
    std::optional<StreamEvent> e = (*stream)->Next(absl::Seconds(60));
    if (!e.has_value()) {
      reply.status = absl::DeadlineExceededError("no event in 60 s");
      return reply;
    }
    if (e->final) {
      reply.finish = e->finish_reason;
      reply.status = e->status;
      return reply;
    }
    ++reply.events;
    reply.text += e->text;
    reply.reasoning += e->reasoning;
    for (const ToolCall& c : e->tool_calls) reply.calls.push_back(c);
  }
}

ChatRequest WeatherQuestion() {
  ChatRequest r;
  r.messages.push_back({"user", "What is the weather in Paris?"});
  r.tools.push_back({"get_weather", "The weather now.", kWeatherSchema});
  return r;
}

std::unique_ptr<Engine> ScriptedEngine(
    const std::string& chat_template,
    std::vector<testing::ScriptedReply> replies, EngineOptions options = {}) {
  static int models = 0;
  const std::string model =
      ModelWithTemplate(absl::StrCat("scripted", ++models), chat_template);
  EngineOptions o = Options(model);
  o.tool_call_format = options.tool_call_format;
  o.reasoning_format = options.reasoning_format;
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      testing::LoadEngineWithScriptedReplies(o, std::move(replies));
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

TEST(ChatTest, AToolCallRoundTrip) {
  std::unique_ptr<Engine> engine = ScriptedEngine(
      kToolTemplate,
      {{"<tool_response>", "It is 18 degrees and raining in Paris."},
       {"",
        "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
        "{\"location\": \"Paris\"}}\n</tool_call>"}});
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->info().chat_template_source, "model");
  EXPECT_EQ(engine->info().tool_call_format, "hermes");

  ChatRequest first = WeatherQuestion();
  ChatReply call = RunChat(*engine, first);
  ASSERT_TRUE(call.status.ok()) << call.status;
  EXPECT_EQ(call.finish, FinishReason::kToolCalls);
  EXPECT_EQ(call.text, "");
  ASSERT_EQ(call.calls.size(), 1u);
  EXPECT_EQ(call.calls[0].index, 0);
  EXPECT_EQ(call.calls[0].name, "get_weather");
  EXPECT_EQ(call.calls[0].arguments, R"({"location":"Paris"})");
  EXPECT_THAT(call.calls[0].id, StartsWith("call_"));
  // Streamed token by token: far more events than calls.
  EXPECT_GT(call.events, 10);

  ChatRequest second = first;
  ChatMessage assistant;
  assistant.role = "assistant";
  assistant.tool_calls = call.calls;
  second.messages.push_back(assistant);
  ChatMessage result;
  result.role = "tool";
  result.tool_call_id = call.calls[0].id;
  result.name = "get_weather";
  result.content = R"({"temperature": 18, "condition": "rain"})";
  second.messages.push_back(result);
  absl::StatusOr<std::string> prompt = engine->RenderChat(second);
  ASSERT_TRUE(prompt.ok()) << prompt.status();
  EXPECT_THAT(*prompt,
              HasSubstr("<|im_start|>assistant\n<tool_call>\n{\"name\": "
                        "\"get_weather\", \"arguments\": {\"location\": "
                        "\"Paris\"}}\n</tool_call><|im_end|>\n"
                        "<|im_start|>user\n<tool_response>\n{\"temperature\": "
                        "18, \"condition\": \"rain\"}\n</tool_response>"
                        "<|im_end|>\n<|im_start|>assistant\n"));
  ChatReply answer = RunChat(*engine, second);
  ASSERT_TRUE(answer.status.ok()) << answer.status;
  EXPECT_EQ(answer.finish, FinishReason::kEndOfGeneration);
  EXPECT_EQ(answer.text, "It is 18 degrees and raining in Paris.");
  EXPECT_THAT(answer.calls, IsEmpty());

  // Two calls in one reply get their own indexes and ids; ids differ from
  // those of an earlier reply.
  std::unique_ptr<Engine> two = ScriptedEngine(
      kToolTemplate,
      {{"",
        "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
        "{\"location\": \"Paris\"}}\n</tool_call>\n<tool_call>\n"
        "{\"name\": \"get_weather\", \"arguments\": {\"location\": "
        "\"Rome\"}}\n</tool_call>"}});
  ChatReply both = RunChat(*two, first);
  ASSERT_EQ(both.calls.size(), 2u);
  EXPECT_EQ(both.calls[1].index, 1);
  EXPECT_EQ(both.calls[1].arguments, R"({"location":"Rome"})");
  EXPECT_NE(both.calls[0].id, both.calls[1].id);
  ChatReply again = RunChat(*two, first);
  ASSERT_EQ(again.calls.size(), 2u);
  EXPECT_NE(again.calls[0].id, both.calls[0].id);
}

TEST(ChatTest, ACallThatDoesNotParseIsText) {
  const std::string bad =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": "
      "Paris}}\n</tool_call>";
  std::unique_ptr<Engine> engine = ScriptedEngine(kToolTemplate, {{"", bad}});
  ASSERT_NE(engine, nullptr);
  ChatReply reply = RunChat(*engine, WeatherQuestion());
  ASSERT_TRUE(reply.status.ok()) << reply.status;
  EXPECT_THAT(reply.calls, IsEmpty());
  EXPECT_EQ(reply.text, bad);
  EXPECT_EQ(reply.finish, FinishReason::kEndOfGeneration);
}

TEST(ChatTest, WithoutToolsOrWithRawOutputMarkupIsText) {
  const std::string call =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n"
      "</tool_call>";
  std::unique_ptr<Engine> engine = ScriptedEngine(kToolTemplate, {{"", call}});
  ASSERT_NE(engine, nullptr);
  ChatRequest no_tools = WeatherQuestion();
  no_tools.tools.clear();
  ChatReply plain = RunChat(*engine, no_tools);
  EXPECT_THAT(plain.calls, IsEmpty());
  EXPECT_EQ(plain.text, call);
  EXPECT_EQ(plain.finish, FinishReason::kEndOfGeneration);

  ChatRequest raw = WeatherQuestion();
  raw.raw_output = true;
  ChatReply unparsed = RunChat(*engine, raw);
  EXPECT_THAT(unparsed.calls, IsEmpty());
  EXPECT_THAT(unparsed.text, HasSubstr(call));
  EXPECT_EQ(unparsed.finish, FinishReason::kEndOfGeneration);

  // Generate streams are untouched by any of it.
  GenerateRequest generate;
  generate.prompt = "Once upon a time";
  generate.options.max_tokens = 64;
  absl::StatusOr<GenerateResult> result = engine->Generate(generate);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(result->text, HasSubstr("<tool_call>"));
}

// A template whose generation prompt opens a reasoning block (as Qwen3's
// and DeepSeek-R1's do).
constexpr char kThinkTemplate[] =
    "{%- for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}"
    "<|im_end|>\n{% endfor %}"
    "{%- if add_generation_prompt %}<|im_start|>assistant\n"
    "{%- if enable_thinking is defined and not enable_thinking %}"
    "<think>\n\n</think>\n\n{% else %}<think>\n{% endif %}{% endif %}";

TEST(ChatTest, ReasoningStreamsApartFromTheAnswer) {
  std::unique_ptr<Engine> engine = ScriptedEngine(
      kThinkTemplate,
      {{"</think>", "Water is wet."},
       {"", "The user asks about water.\nIt is wet.\n</think>\n\nYes."}});
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->info().reasoning_format, "think");
  ChatRequest r;
  r.messages.push_back({"user", "Is water wet?"});
  ChatReply thought = RunChat(*engine, r);
  ASSERT_TRUE(thought.status.ok()) << thought.status;
  EXPECT_EQ(thought.reasoning, "The user asks about water.\nIt is wet.");
  EXPECT_EQ(thought.text, "Yes.");
  EXPECT_EQ(thought.finish, FinishReason::kEndOfGeneration);

  // template_kwargs reach the template: no thinking, no reasoning.
  r.template_kwargs = R"({"enable_thinking": false})";
  EXPECT_THAT(*engine->RenderChat(r), HasSubstr("<think>\n\n</think>\n\n"));
  ChatReply direct = RunChat(*engine, r);
  EXPECT_EQ(direct.reasoning, "");
  EXPECT_EQ(direct.text, "Water is wet.");
}

TEST(ChatTest, TheOutputFormatCanBeNamed) {
  std::unique_ptr<Engine> engine = ScriptedEngine(
      kToolTemplate, {{"", "plain"}},
      {.tool_call_format = "mistral", .reasoning_format = "none"});
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->info().tool_call_format, "mistral");
  EXPECT_EQ(engine->info().reasoning_format, "none");
  EngineOptions bad = Options(TinyModel());
  bad.tool_call_format = "no-such-syntax";
  EXPECT_THAT(std::string(Engine::Load(bad).status().message()),
              StartsWith("tool_call_format"));
  bad.tool_call_format = "";
  bad.reasoning_format = "no-such-syntax";
  EXPECT_THAT(std::string(Engine::Load(bad).status().message()),
              StartsWith("reasoning_format"));
}

TEST(ChatTest, TemplateErrorsAndBadRequestsFailTheCall) {
  std::unique_ptr<Engine> engine = ScriptedEngine(
      "{% if messages[0].role == 'system' %}"
      "{{ raise_exception('System role not supported') }}{% endif %}x",
      {{"", "ok"}});
  ASSERT_NE(engine, nullptr);
  ChatRequest r;
  r.messages.push_back({"system", "Be brief."});
  absl::StatusOr<std::shared_ptr<GenerationStream>> s = engine->SubmitChat(r);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("TemplateError: System role not supported"));
  r.messages[0].role = "user";
  r.tools.push_back({"f", "", "not json"});
  s = engine->SubmitChat(r);
  EXPECT_THAT(std::string(s.status().message()),
              StartsWith("tools[0].parameters"));
}

TEST(ChatTest, AFileWithoutATemplateUsesTheOverride) {
  EngineOptions o = Options(TinyModel());
  absl::StatusOr<std::unique_ptr<Engine>> none = Engine::Load(o);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ((*none)->info().chat_template_source, "");
  EXPECT_THAT((*none)->info().chat_template_error,
              HasSubstr("--chat-template"));
  EXPECT_EQ((*none)
                ->RenderChat(std::vector<ChatMessage>{{"user", "hi"}})
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);

  o.chat_template = "chatml";
  absl::StatusOr<std::unique_ptr<Engine>> family = Engine::Load(o);
  ASSERT_TRUE(family.ok());
  EXPECT_EQ((*family)->info().chat_template_source, "family");
  EXPECT_EQ((*family)->info().chat_template, "chatml");
  EXPECT_EQ(*(*family)->RenderChat(std::vector<ChatMessage>{{"user", "hi"}}),
            "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");

  const std::string file = TempPath("override.jinja");
  {
    FILE* f = std::fopen(file.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("{{ bos_token }}[{{ messages[0].content }}]{{ eos_token }}", f);
    std::fclose(f);
  }
  o.chat_template = file;
  absl::StatusOr<std::unique_ptr<Engine>> jinja = Engine::Load(o);
  ASSERT_TRUE(jinja.ok()) << jinja.status();
  EXPECT_EQ((*jinja)->info().chat_template_source, "file");
  EXPECT_EQ(*(*jinja)->RenderChat(std::vector<ChatMessage>{{"user", "hi"}}),
            "<s>[hi]</s>");
}

}  // namespace
}  // namespace edgellm
