#include "runtime/server/http/openai_request.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgellm::server::http {
namespace {

using ::testing::StartsWith;

absl::StatusOr<CompletionCall> Chat(const std::string& body) {
  return ParseCompletionRequest(body, /*chat=*/true, 128);
}
absl::StatusOr<CompletionCall> Completion(const std::string& body) {
  return ParseCompletionRequest(body, /*chat=*/false, 128);
}
std::string Error(const absl::StatusOr<CompletionCall>& call) {
  EXPECT_FALSE(call.ok());
  EXPECT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(call.status().message());
}

TEST(ParseCompletionRequestTest, ChatWithEverySamplingField) {
  absl::StatusOr<CompletionCall> c = Chat(R"({
    "model": "tiny",
    "messages": [{"role": "developer", "content": "Be brief."},
                 {"role": "user", "content": [{"type": "text", "text": "Hi "},
                                              {"type": "text", "text": "there"}]},
                 {"role": "assistant", "content": null}],
    "stream": true, "stream_options": {"include_usage": true},
    "temperature": 0.25, "top_p": 0.5, "max_completion_tokens": 9,
    "stop": ["\n", "END"], "seed": 7, "n": 1,
    "presence_penalty": 0.5, "frequency_penalty": -0.5,
    "logit_bias": {"12": -100, "3": 2.5},
    "top_k": 5, "min_p": 0.1, "repetition_penalty": 1.2,
    "user": "someone", "vendor_extension": {"ignored": true}
  })");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->chat);
  EXPECT_EQ(c->model, "tiny");
  EXPECT_TRUE(c->stream);
  EXPECT_TRUE(c->include_usage);
  ASSERT_EQ(c->messages.size(), 3u);
  EXPECT_EQ(c->messages[0].role, "system");
  EXPECT_EQ(c->messages[1].content, "Hi there");
  EXPECT_EQ(c->messages[2].content, "");
  const GenerateOptions& o = c->options;
  EXPECT_EQ(o.sampling.temperature, 0.25f);
  EXPECT_EQ(o.sampling.top_p, 0.5f);
  EXPECT_EQ(o.sampling.top_k, 5);
  EXPECT_EQ(o.sampling.min_p, 0.1f);
  EXPECT_EQ(o.sampling.repetition_penalty, 1.2f);
  EXPECT_EQ(o.sampling.presence_penalty, 0.5f);
  EXPECT_EQ(o.sampling.frequency_penalty, -0.5f);
  EXPECT_EQ(o.sampling.seed, 7u);
  EXPECT_EQ(o.sampling.logit_bias,
            (std::vector<std::pair<int32_t, float>>{{3, 2.5f}, {12, -100.0f}}));
  EXPECT_EQ(o.max_tokens, 9);
  EXPECT_EQ(o.stop, (std::vector<std::string>{"\n", "END"}));
}

TEST(ParseCompletionRequestTest, DefaultsWhenFieldsAreAbsentOrNull) {
  absl::StatusOr<CompletionCall> c = Completion(
      R"({"prompt": "Once", "temperature": null, "stop": null, "n": null})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->stream);
  EXPECT_EQ(c->prompt, "Once");
  EXPECT_EQ(c->options.max_tokens, 128);
  EXPECT_EQ(c->options.sampling.temperature, SamplingParams().temperature);
  EXPECT_TRUE(c->options.stop.empty());
  EXPECT_TRUE(c->options.prefix_cache);
}

TEST(ParseCompletionRequestTest, CachePromptFalseOptsOutOfThePrefixCache) {
  // llama.cpp's server field.
  absl::StatusOr<CompletionCall> c =
      Completion(R"({"prompt": "Once", "cache_prompt": false})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->options.prefix_cache);
  c = Chat(R"({"messages": [{"role": "user", "content": "hi"}],
               "cache_prompt": true})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->options.prefix_cache);
  EXPECT_THAT(Error(Completion(R"({"prompt": "x", "cache_prompt": 0})")),
              StartsWith("cache_prompt: "));
}

TEST(ParseCompletionRequestTest, PromptForms) {
  EXPECT_EQ(Completion(R"({"prompt": ["Once"]})")->prompt, "Once");
  EXPECT_EQ(Completion(R"({"prompt": [1, 2, 3]})")->prompt_ids,
            (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(Completion(R"({"prompt": [[4, 5]]})")->prompt_ids,
            (std::vector<int32_t>{4, 5}));
  EXPECT_EQ(Completion(R"({"prompt": "x", "stop": "\n"})")->options.stop,
            (std::vector<std::string>{"\n"}));
  EXPECT_EQ(
      Completion(R"({"prompt": "x", "max_tokens": 3})")->options.max_tokens, 3);
}

TEST(ParseCompletionRequestTest, BadRequestsNameTheParameter) {
  EXPECT_THAT(Error(Completion("{not json")), StartsWith("body: "));
  EXPECT_THAT(Error(Completion("[1]")), StartsWith("body: "));
  EXPECT_THAT(Error(Completion(R"({})")), StartsWith("prompt: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": ""})")), StartsWith("prompt: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": ["a", "b"]})")),
              StartsWith("prompt: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": [1, -2]})")),
              StartsWith("prompt[1]: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": "x", "n": 2})")),
              StartsWith("n: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": "x", "temperature": "hot"})")),
              StartsWith("temperature: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": "x", "max_tokens": 0})")),
              StartsWith("max_tokens: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": "x", "max_tokens": 2.5})")),
              StartsWith("max_tokens: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": "x", "stop": [1]})")),
              StartsWith("stop[0]: "));
  EXPECT_THAT(
      Error(Completion(R"({"prompt": "x", "stop": ["a","b","c","d","e","f",
          "g","h","i","j","k","l","m","n","o","p","q"]})")),
      StartsWith("stop: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": "x", "logit_bias": {"a": 1}})")),
              StartsWith("logit_bias: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": "x", "logit_bias": {"1": 101}})")),
              StartsWith("logit_bias: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": "x", "logprobs": true})")),
              StartsWith("logprobs: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": "x", "echo": true})")),
              StartsWith("echo: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": "x", "stream_options": {}})")),
              StartsWith("stream_options: "));
  EXPECT_THAT(Error(Completion(R"({"prompt": "x", "model": 3})")),
              StartsWith("model: "));
  EXPECT_THAT(Error(Chat(R"({"messages": []})")), StartsWith("messages: "));
  EXPECT_THAT(Error(Chat(R"({"messages": [{"content": "hi"}]})")),
              StartsWith("messages[0].role: "));
  EXPECT_THAT(Error(Chat(R"({"messages": [{"role": "user", "content": [{"type":
          "image_url", "image_url": {"url": "x"}}]}]})")),
              StartsWith("messages[0].content[0]: "));
  EXPECT_THAT(Error(Chat(R"({"messages": [{"role": "user", "content": "x"}],
      "response_format": {"type": "json_object"}})")),
              StartsWith("response_format: "));
}

TEST(ParseCompletionRequestTest, ToolsGoToTheEngine) {
  absl::StatusOr<CompletionCall> c = Chat(R"({
    "messages": [{"role": "user", "content": "weather?"}],
    "tools": [{"type": "function", "function": {"name": "get_weather",
               "description": "The weather now.",
               "parameters": {"type": "object", "properties":
                              {"location": {"type": "string"}}}}},
              {"type": "function", "function": {"name": "now"}}],
    "tool_choice": "auto", "parallel_tool_calls": true,
    "chat_template_kwargs": {"enable_thinking": false}})");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->tools.size(), 2u);
  EXPECT_EQ(c->tools[0].name, "get_weather");
  EXPECT_EQ(c->tools[0].description, "The weather now.");
  EXPECT_EQ(nlohmann::json::parse(c->tools[0].parameters),
            nlohmann::json::parse(
                R"({"type": "object", "properties":
                    {"location": {"type": "string"}}})"));
  EXPECT_EQ(c->tools[1].name, "now");
  EXPECT_EQ(c->tools[1].parameters, "");
  EXPECT_EQ(c->template_kwargs, R"({"enable_thinking":false})");
  // "none": checked, but left out of the prompt.
  c = Chat(R"({"messages": [{"role": "user", "content": "x"}],
      "tools": [{"type": "function", "function": {"name": "f"}}],
      "tool_choice": "none"})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->tools.empty());
}

TEST(ParseCompletionRequestTest, AToolRoundTripsMessages) {
  absl::StatusOr<CompletionCall> c = Chat(R"({"messages": [
    {"role": "user", "content": "weather in Paris?"},
    {"role": "assistant", "content": null, "reasoning_content": "Ask it.",
     "tool_calls": [{"id": "call_1", "type": "function", "function":
                     {"name": "get_weather",
                      "arguments": "{\"location\": \"Paris\"}"}},
                    {"id": "call_2", "type": "function", "function":
                     {"name": "get_time", "arguments": {"zone": "CET"}}}]},
    {"role": "tool", "tool_call_id": "call_1", "name": "get_weather",
     "content": "18 C"}]})");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->messages.size(), 3u);
  const ChatMessage& assistant = c->messages[1];
  EXPECT_EQ(assistant.content, "");
  EXPECT_EQ(assistant.reasoning_content, "Ask it.");
  ASSERT_EQ(assistant.tool_calls.size(), 2u);
  EXPECT_EQ(assistant.tool_calls[0].id, "call_1");
  EXPECT_EQ(assistant.tool_calls[0].name, "get_weather");
  EXPECT_EQ(assistant.tool_calls[0].arguments, R"({"location": "Paris"})");
  // An object (some clients send one) becomes its JSON text.
  EXPECT_EQ(assistant.tool_calls[1].arguments, R"({"zone":"CET"})");
  const ChatMessage& tool = c->messages[2];
  EXPECT_EQ(tool.role, "tool");
  EXPECT_EQ(tool.tool_call_id, "call_1");
  EXPECT_EQ(tool.name, "get_weather");
  EXPECT_EQ(tool.content, "18 C");
}

TEST(ParseCompletionRequestTest, BadToolsNameTheParameter) {
  const std::string user = R"("messages": [{"role": "user", "content": "x"}])";
  EXPECT_THAT(Error(Chat("{" + user + R"(, "tools": {}})")),
              StartsWith("tools: "));
  EXPECT_THAT(Error(Chat("{" + user + R"(, "tools": [{"type": "function"}]})")),
              StartsWith("tools[0].function: "));
  EXPECT_THAT(
      Error(Chat("{" + user +
                 R"(, "tools": [{"type": "function", "function": {"name": "f"}},
                     {"type": "function", "function": {"name": ""}}]})")),
      StartsWith("tools[1].function.name: "));
  EXPECT_THAT(Error(Chat("{" + user +
                         R"(, "tools": [{"type": "function", "function":
                             {"name": "f", "parameters": "{}"}}]})")),
              StartsWith("tools[0].function.parameters: "));
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += R"({"a": )";
  deep += "1" + std::string(100, '}');
  EXPECT_THAT(Error(Chat("{" + user +
                         R"(, "tools": [{"type": "function", "function":
                             {"name": "f", "parameters": )" +
                         deep + "}}]}")),
              StartsWith("tools[0].function.parameters: JSON nested deeper "
                         "than 64 levels"));
  std::string many = R"({"type": "function", "function": {"name": "f"}})";
  for (int i = 0; i < RequestLimits::kMaxChatTools; ++i) {
    many += R"(, {"type": "function", "function": {"name": "f"}})";
  }
  EXPECT_THAT(Error(Chat("{" + user + R"(, "tools": [)" + many + "]}")),
              StartsWith("tools: 129 tools; at most 128"));
  // A call cannot be forced, so asking for one is refused, not faked.
  for (const char* choice :
       {R"("required")",
        R"({"type": "function", "function": {"name": "f"}})"}) {
    EXPECT_THAT(Error(Chat("{" + user + R"(, "tool_choice": )" + choice + "}")),
                StartsWith("tool_choice: "));
  }
  EXPECT_THAT(Error(Chat("{" + user + R"(, "tool_choice": "sometimes"})")),
              StartsWith("tool_choice: "));
  EXPECT_THAT(Error(Chat(R"({"messages": [{"role": "assistant",
      "tool_calls": [{"type": "function", "function": {"arguments": "{}"}}]}]})")),
              StartsWith("messages[0].tool_calls[0].function.name: "));
  EXPECT_THAT(Error(Chat(R"({"messages": [{"role": "assistant",
      "tool_calls": [{"function": {"name": "f", "arguments": 3}}]}]})")),
              StartsWith("messages[0].tool_calls[0].function.arguments: "));
  EXPECT_THAT(Error(Chat(R"({"messages": [{"role": "tool",
      "tool_call_id": 7, "content": "x"}]})")),
              StartsWith("messages[0].tool_call_id: "));
  EXPECT_THAT(Error(Chat("{" + user + R"(, "chat_template_kwargs": [1]})")),
              StartsWith("chat_template_kwargs: "));
}

TEST(ParseEmbeddingRequestTest, InputForms) {
  absl::StatusOr<EmbeddingCall> e =
      ParseEmbeddingRequest(R"({"input": "a red ball", "model": "m"})");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->request.texts, (std::vector<std::string>{"a red ball"}));
  EXPECT_TRUE(e->request.options.normalize);
  EXPECT_FALSE(e->base64);
  EXPECT_EQ(e->inputs, 1);
  e = ParseEmbeddingRequest(
      R"({"input": ["a", "b"], "encoding_format": "base64", "dimensions": 64})");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->inputs, 2);
  EXPECT_TRUE(e->base64);
  EXPECT_EQ(e->dimensions, 64);
  e = ParseEmbeddingRequest(R"({"input": [[1, 2], [3]]})");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->request.token_ids.size(), 2u);
  e = ParseEmbeddingRequest(R"({"input": [5, 6]})");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->request.token_ids, (std::vector<std::vector<int32_t>>{{5, 6}}));
}

TEST(ParseEmbeddingRequestTest, BadRequestsNameTheParameter) {
  const auto error = [](const std::string& body) {
    absl::StatusOr<EmbeddingCall> e = ParseEmbeddingRequest(body);
    EXPECT_FALSE(e.ok()) << body;
    return std::string(e.status().message());
  };
  EXPECT_THAT(error("{}"), StartsWith("input: "));
  EXPECT_THAT(error(R"({"input": []})"), StartsWith("input: "));
  EXPECT_THAT(error(R"({"input": ["a", 1]})"), StartsWith("input[1]: "));
  EXPECT_THAT(error(R"({"input": "a", "encoding_format": "hex"})"),
              StartsWith("encoding_format: "));
  EXPECT_THAT(error(R"({"input": "a", "dimensions": 0})"),
              StartsWith("dimensions: "));
}

}  // namespace
}  // namespace edgellm::server::http
