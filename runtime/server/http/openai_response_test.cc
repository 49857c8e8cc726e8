#include "runtime/server/http/openai_response.h"

#include <cstring>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace edgellm::server::http {
namespace {

using nlohmann::json;

TEST(HttpStatusOfTest, MapsEngineCodes) {
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kOk), 200);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kFailedPrecondition), 400);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kInternal), 500);
  EXPECT_EQ(HttpStatusOf(absl::StatusCode::kDataLoss), 500);
}

TEST(ParamOfTest, NamesTheFieldInOpenAiTerms) {
  EXPECT_EQ(ParamOf("sampling.top_p: must be in (0, 1]"), "top_p");
  EXPECT_EQ(ParamOf("limits.stop[2]: empty"), "stop");
  EXPECT_EQ(ParamOf("messages[1].content: bad"), "messages");
  EXPECT_EQ(ParamOf("texts[0]: empty"), "input");
  EXPECT_EQ(ParamOf("token_ids[3]: 99 is outside"), "input");
  EXPECT_EQ(ParamOf("prompt: 900 tokens exceed"), "prompt");
  EXPECT_EQ(ParamOf("tools[2].parameters: not valid JSON"), "tools");
  EXPECT_EQ(ParamOf("template_kwargs: \"messages\" is set"),
            "chat_template_kwargs");
  EXPECT_EQ(ParamOf("the model has no tokenizer.chat_template; name it"), "");
  EXPECT_EQ(ParamOf("no colon here"), "");
}

TEST(ErrorJsonTest, HasOpenAisShape) {
  const json e = ErrorJson(
      absl::InvalidArgumentError("sampling.temperature: must be >= 0"));
  EXPECT_EQ(e["error"]["message"], "sampling.temperature: must be >= 0");
  EXPECT_EQ(e["error"]["type"], "invalid_request_error");
  EXPECT_EQ(e["error"]["param"], "temperature");
  EXPECT_TRUE(e["error"]["code"].is_null());
  const json busy = ErrorJson(absl::ResourceExhaustedError("queue full"));
  EXPECT_EQ(busy["error"]["type"], "rate_limit_error");
  EXPECT_TRUE(busy["error"]["param"].is_null());
  EXPECT_EQ(ErrorJson(absl::UnauthenticatedError("x"))["error"]["type"],
            "authentication_error");
  EXPECT_EQ(ErrorJson(absl::UnavailableError("x"))["error"]["type"],
            "server_error");
}

TEST(CompletionFormatterTest, ChatChunksCarryTheRoleOnceThenContent) {
  CompletionFormatter f(true, 7, "tiny", absl::FromUnixSeconds(1000));
  const json first = f.TextChunk("Hel");
  EXPECT_EQ(first["id"], "chatcmpl-7");
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["created"], 1000);
  EXPECT_EQ(first["model"], "tiny");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(first["choices"][0]["delta"]["content"], "Hel");
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  EXPECT_FALSE(first.contains("usage"));
  const json second = f.TextChunk("lo");
  EXPECT_FALSE(second["choices"][0]["delta"].contains("role"));
  EXPECT_EQ(second["choices"][0]["delta"]["content"], "lo");
  const json last = f.FinishChunk(FinishReason::kLength);
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
  EXPECT_TRUE(last["choices"][0]["delta"].empty());
}

TEST(CompletionFormatterTest, UsageChunkAndCompleteResponse) {
  CompletionFormatter f(true, 1, "m", absl::FromUnixSeconds(5));
  f.set_include_usage(true);
  EXPECT_TRUE(f.TextChunk("x")["usage"].is_null());
  RequestStats stats;
  stats.prompt_tokens = 6;
  stats.generated_tokens = 4;
  const json usage = f.UsageChunk(stats);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["prompt_tokens"], 6);
  EXPECT_EQ(usage["usage"]["completion_tokens"], 4);
  EXPECT_EQ(usage["usage"]["total_tokens"], 10);
  const json whole = f.Complete("hello", FinishReason::kEndOfGeneration, stats);
  EXPECT_EQ(whole["object"], "chat.completion");
  EXPECT_EQ(whole["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(whole["choices"][0]["message"]["content"], "hello");
  EXPECT_EQ(whole["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(whole["usage"]["total_tokens"], 10);
  EXPECT_FALSE(whole["usage"].contains("context_shifts"));
  // serve --context-shift: the usage says the conversation was shifted.
  stats.context_shifts = 2;
  stats.context_shift_dropped_tokens = 61;
  const json shifted = f.UsageChunk(stats);
  EXPECT_EQ(shifted["usage"]["context_shifts"], 2);
  EXPECT_EQ(shifted["usage"]["context_shift_dropped_tokens"], 61);
}

TEST(CompletionFormatterTest, ChatDeltasCarryReasoningAndToolCalls) {
  CompletionFormatter f(true, 2, "m", absl::FromUnixSeconds(5));
  const json role = f.TextChunk("");
  EXPECT_EQ(role["choices"][0]["delta"]["role"], "assistant");
  const json thinking = f.DeltaChunk({.reasoning = "Hmm."});
  EXPECT_EQ(thinking["choices"][0]["delta"],
            json({{"reasoning_content", "Hmm."}}));
  const ToolCall call{.index = 1,
                      .id = "call_9_1",
                      .name = "get_weather",
                      .arguments = R"({"location":"Paris"})"};
  const json calls = f.DeltaChunk({.tool_calls = {call}});
  EXPECT_EQ(calls["choices"][0]["delta"],
            json::parse(R"({"tool_calls": [{"index": 1, "id": "call_9_1",
                "type": "function", "function": {"name": "get_weather",
                "arguments": "{\"location\":\"Paris\"}"}}]})"));
  EXPECT_EQ(f.DeltaChunk({.content = "ok"})["choices"][0]["delta"],
            json({{"content", "ok"}}));
  EXPECT_EQ(
      f.FinishChunk(FinishReason::kToolCalls)["choices"][0]["finish_reason"],
      "tool_calls");

  const json whole = f.CompleteChat({.reasoning = "Hmm.", .tool_calls = {call}},
                                    FinishReason::kToolCalls, {});
  const json& message = whole["choices"][0]["message"];
  EXPECT_TRUE(message["content"].is_null());
  EXPECT_EQ(message["reasoning_content"], "Hmm.");
  EXPECT_EQ(message["tool_calls"][0],
            json::parse(R"({"id": "call_9_1", "type": "function", "function":
                {"name": "get_weather",
                 "arguments": "{\"location\":\"Paris\"}"}})"));
  EXPECT_EQ(whole["choices"][0]["finish_reason"], "tool_calls");
  const json text = f.CompleteChat({.content = "hi"}, FinishReason::kStop, {});
  EXPECT_EQ(text["choices"][0]["message"]["content"], "hi");
  EXPECT_FALSE(text["choices"][0]["message"].contains("tool_calls"));
  EXPECT_FALSE(text["choices"][0]["message"].contains("reasoning_content"));
}

TEST(CompletionFormatterTest, TextCompletions) {
  CompletionFormatter f(false, 3, "m", absl::FromUnixSeconds(5));
  const json chunk = f.TextChunk("abc");
  EXPECT_EQ(chunk["id"], "cmpl-3");
  EXPECT_EQ(chunk["object"], "text_completion");
  EXPECT_EQ(chunk["choices"][0]["text"], "abc");
  EXPECT_EQ(f.Complete("abc", FinishReason::kStop, {})["choices"][0]["text"],
            "abc");
}

TEST(SseEventTest, IsOneDataLineAndABlankLine) {
  EXPECT_EQ(SseEvent(json{{"a", "x\ny"}}), "data: {\"a\":\"x\\ny\"}\n\n");
  // Broken UTF-8 never throws.
  EXPECT_EQ(SseEvent(json{{"a", std::string("\xff")}}),
            "data: {\"a\":\"\xef\xbf\xbd\"}\n\n");
}

TEST(EmbeddingsJsonTest, FloatAndBase64Forms) {
  const std::vector<std::vector<float>> v = {{1.0f, -0.5f}, {0.25f, 0.0f}};
  const json floats = EmbeddingsJson(v, false, "m", 9);
  EXPECT_EQ(floats["object"], "list");
  EXPECT_EQ(floats["data"][1]["index"], 1);
  EXPECT_EQ(floats["data"][0]["embedding"][1], -0.5);
  EXPECT_EQ(floats["usage"]["prompt_tokens"], 9);
  const json b64 = EmbeddingsJson(v, true, "m", 9);
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(
      b64["data"][0]["embedding"].get<std::string>(), &bytes));
  ASSERT_EQ(bytes.size(), 2 * sizeof(float));
  float back[2];
  std::memcpy(back, bytes.data(), bytes.size());
  EXPECT_EQ(back[0], 1.0f);
  EXPECT_EQ(back[1], -0.5f);
}

}  // namespace
}  // namespace edgellm::server::http
