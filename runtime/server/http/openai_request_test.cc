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

TEST(ParseCompletionRequestTest, ToolsAreAcceptedAndKept) {
  absl::StatusOr<CompletionCall> c = Chat(R"({
    "messages": [{"role": "user", "content": "weather?"}],
    "tools": [{"type": "function", "function": {"name": "get_weather",
               "parameters": {"type": "object"}}}],
    "tool_choice": "auto", "parallel_tool_calls": true})");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->tools.size(), 1u);
  EXPECT_EQ(c->tools[0]["function"]["name"], "get_weather");
  EXPECT_EQ(c->tool_choice, "auto");
  EXPECT_THAT(Error(Chat(R"({"messages": [{"role": "user", "content": "x"}],
      "tools": [{"type": "function"}]})")),
              StartsWith("tools[0].function: "));
  // A tool call the engine cannot make yet is refused, not faked.
  EXPECT_THAT(Error(Chat(R"({"messages": [{"role": "user", "content": "x"}],
      "tools": [], "tool_choice": "required"})")),
              StartsWith("tool_choice: "));
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
