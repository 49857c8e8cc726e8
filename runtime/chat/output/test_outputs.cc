#include "runtime/chat/output/test_outputs.h"

#include <utility>

namespace edgellm::chat::output::testing {
namespace {

using R = ReasoningSyntax;
using T = ToolCallSyntax;

// The two tools of the shared template cases, in OpenAI form.
constexpr char kTools[] = R"([
 {"type": "function", "function": {"name": "get_weather",
  "parameters": {"type": "object", "properties": {
   "location": {"type": "string"},
   "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
   "required": ["location"]}}},
 {"type": "function", "function": {"name": "search_web",
  "parameters": {"type": "object", "properties": {
   "query": {"type": "string"}, "max_results": {"type": "integer"},
   "safe_search": {"type": "boolean"}, "min_score": {"type": "number"},
   "sites": {"type": "array", "items": {"type": "string"}}},
   "required": ["query"]}}}])";

constexpr char kSeoulArgs[] = R"({"location":"Seoul"})";
constexpr char kSearchArgs[] =
    R"({"query":"Seoul events this weekend","max_results":3,"safe_search":true,"min_score":0.5,"sites":["visitseoul.net","koreaherald.com"]})";

struct Builder {
  OutputCase c;
  Builder(std::string name, R reasoning, T tools, std::string text) {
    c.name = std::move(name);
    c.format = {reasoning, tools};
    c.text = std::move(text);
  }
  Builder& Content(std::string s) {
    c.expected.content = std::move(s);
    return *this;
  }
  Builder& Reasoning(std::string s) {
    c.expected.reasoning = std::move(s);
    return *this;
  }
  Builder& WithCall(std::string name, std::string args, std::string id = "") {
    const int index = static_cast<int>(c.expected.tool_calls.size());
    if (id.empty()) {
      id = c.format.tool_calls == T::kMistral
               ? "call0000" + std::to_string(index)
               : "call_" + std::to_string(index);
    }
    c.expected.tool_calls.push_back(
        Call(index, std::move(id), std::move(name), std::move(args)));
    return *this;
  }
  Builder& StartsInReasoning() {
    c.options.starts_in_reasoning = true;
    return *this;
  }
  Builder& NoTools() {
    c.options.parse_tool_calls = false;
    return *this;
  }
  Builder& Schemas() {
    c.options.tools_json = kTools;
    return *this;
  }
  operator OutputCase() const { return c; }
};

std::vector<OutputCase> MakeCases() {
  std::vector<OutputCase> v;
  // --- reasoning ---
  v.push_back(Builder("qwen3_think_then_answer", R::kThink, T::kHermes,
                      "<think>\nThe user asks for the capital of France. "
                      "That is Paris.\n</think>\n\nThe capital of France is "
                      "Paris.")
                  .Reasoning("The user asks for the capital of France. That "
                             "is Paris.")
                  .Content("The capital of France is Paris."));
  v.push_back(Builder("r1_distill_prompt_opened_think", R::kThink, T::kDeepSeek,
                      "Okay, the user wants 6 times 8.\n\n6 * 8 = 48.\n"
                      "</think>\n\n6 × 8 = 48.")
                  .StartsInReasoning()
                  .Reasoning("Okay, the user wants 6 times 8.\n\n6 * 8 = 48.")
                  .Content("6 × 8 = 48."));
  v.push_back(Builder("qwen3_empty_think", R::kThink, T::kHermes,
                      "<think>\n\n</think>\n\nHello! How can I help?")
                  .Content("Hello! How can I help?"));
  v.push_back(Builder("unterminated_think_is_reasoning", R::kThink, T::kHermes,
                      "<think>\nLet me count the primes below 20: "
                      "2, 3, 5, 7, \n")
                  .Reasoning("Let me count the primes below 20: 2, 3, 5, 7,"));
  v.push_back(
      Builder("think_unicode", R::kThink, T::kHermes,
              "<think>생각 중… 🤔 날씨를 확인해야 "
              "해.</think>서울은 "
              "맑아요 "
              "☀️ 기온은 22°C입니다.")
          .Reasoning("생각 중… 🤔 날씨를 확인해야 해.")
          .Content("서울은 맑아요 ☀️ 기온은 22°C입니다."));
  v.push_back(Builder("stray_close_marker_is_content", R::kThink, T::kHermes,
                      "I forgot to open it.</think> Sorry.")
                  .Content("I forgot to open it.</think> Sorry."));
  v.push_back(Builder("seed_think", R::kSeedThink, T::kSeedOss,
                      "<seed:think>Check divisors 2, 3: none divide 17.\nSo "
                      "it is prime.</seed:think>\nYes, 17 is prime.")
                  .Reasoning("Check divisors 2, 3: none divide 17.\nSo it is "
                             "prime.")
                  .Content("Yes, 17 is prime."));
  v.push_back(Builder("magistral_think", R::kMistralThink, T::kMistral,
                      "[THINK]The product of 6 and 8 is 48.[/THINK]6 × 8 = "
                      "48.")
                  .Reasoning("The product of 6 and 8 is 48.")
                  .Content("6 × 8 = 48."));
  v.push_back(Builder("apriel_reasoning_then_final", R::kApriel, T::kApriel,
                      "Check divisors 2, 3: none divide 17.\nSo it is prime.\n"
                      "[BEGIN FINAL RESPONSE]\nYes, 17 is prime.\n"
                      "[END FINAL RESPONSE]")
                  .Reasoning("Check divisors 2, 3: none divide 17.\nSo it is "
                             "prime.")
                  .Content("Yes, 17 is prime.\n"));
  v.push_back(Builder("command_r_think_then_response", R::kCommandR,
                      T::kCommandR,
                      "<|START_THINKING|>The user greets me.<|END_THINKING|>"
                      "<|START_RESPONSE|>Hello! What can I do for you?"
                      "<|END_RESPONSE|>")
                  .Reasoning("The user greets me.")
                  .Content("Hello! What can I do for you?"));
  v.push_back(Builder("harmony_analysis_then_final", R::kHarmony, T::kHarmony,
                      "<|channel|>analysis<|message|>Simple geography: Paris."
                      "<|end|><|start|>assistant<|channel|>final<|message|>"
                      "The capital of France is Paris.<|return|>")
                  .Reasoning("Simple geography: Paris.")
                  .Content("The capital of France is Paris."));

  // --- Hermes / Qwen 2.5 / Qwen3 ---
  v.push_back(
      Builder("hermes_one_call", R::kNone, T::kHermes,
              "<tool_call>\n{\"name\": \"get_weather\", "
              "\"arguments\": {\"location\": \"Seoul\", \"unit\": "
              "\"celsius\"}}\n</tool_call>")
          .WithCall("get_weather", R"({"location":"Seoul","unit":"celsius"})"));
  v.push_back(Builder("qwen25_content_and_two_calls", R::kNone, T::kHermes,
                      "I'll check both.\n<tool_call>\n{\"name\": "
                      "\"get_weather\", \"arguments\": {\"location\": "
                      "\"Seoul\"}}\n</tool_call>\n<tool_call>\n{\"name\": "
                      "\"search_web\", \"arguments\": {\"query\": \"Seoul "
                      "events this weekend\", \"max_results\": 3, "
                      "\"safe_search\": true, \"min_score\": 0.5, \"sites\": "
                      "[\"visitseoul.net\", \"koreaherald.com\"]}}\n"
                      "</tool_call>")
                  .Content("I'll check both.\n")
                  .WithCall("get_weather", kSeoulArgs)
                  .WithCall("search_web", kSearchArgs));
  v.push_back(Builder("qwen3_think_then_call", R::kThink, T::kHermes,
                      "<think>\nThe user wants the weather; I have a tool for "
                      "that.\n</think>\n\n<tool_call>\n{\"name\": "
                      "\"get_weather\", \"arguments\": {\"location\": "
                      "\"Seoul\"}}\n</tool_call>")
                  .Reasoning("The user wants the weather; I have a tool for "
                             "that.")
                  .WithCall("get_weather", kSeoulArgs));
  v.push_back(Builder("hermes_invalid_json_is_text", R::kNone, T::kHermes,
                      "<tool_call>\n{\"name\": \"get_weather\", "
                      "\"arguments\": {\"location\": \"Seoul\"}\n</tool_call>")
                  .Content("<tool_call>\n{\"name\": \"get_weather\", "
                           "\"arguments\": {\"location\": \"Seoul\"}\n"
                           "</tool_call>"));
  v.push_back(Builder("hermes_unterminated_is_text", R::kNone, T::kHermes,
                      "Let me look.\n<tool_call>\n{\"name\": \"get_weather\", "
                      "\"argu")
                  .Content("Let me look.\n<tool_call>\n{\"name\": "
                           "\"get_weather\", \"argu"));
  v.push_back(Builder("hermes_text_between_calls", R::kNone, T::kHermes,
                      "First the weather.\n<tool_call>\n{\"name\": "
                      "\"get_weather\", \"arguments\": {\"location\": "
                      "\"Seoul\"}}\n</tool_call>\nThen the events.\n"
                      "<tool_call>\n{\"name\": \"search_web\", \"arguments\": "
                      "{\"query\": \"Seoul events\"}}\n</tool_call>\n")
                  .Content("First the weather.\nThen the events.\n")
                  .WithCall("get_weather", kSeoulArgs)
                  .WithCall("search_web", R"({"query":"Seoul events"})"));
  v.push_back(Builder("hermes_string_arguments", R::kNone, T::kHermes,
                      "<tool_call>\n{\"name\": \"get_weather\", "
                      "\"arguments\": \"{\\\"location\\\": \\\"Seoul\\\"}\"}"
                      "\n</tool_call>")
                  .WithCall("get_weather", kSeoulArgs));
  v.push_back(Builder("hermes_no_arguments", R::kNone, T::kHermes,
                      "<tool_call>\n{\"name\": \"get_time\"}\n</tool_call>")
                  .WithCall("get_time", "{}"));
  v.push_back(Builder("hermes_unicode_escapes", R::kNone, T::kHermes,
                      "<tool_call>\n{\"name\": \"get_weather\", "
                      "\"arguments\": {\"location\": \"\\uc11c\\uc6b8\", "
                      "\"note\": \"tab\\there\"}}\n</tool_call>")
                  .WithCall("get_weather",
                            R"({"location":"서울","note":"tab\there"})"));
  v.push_back(Builder("hermes_arguments_not_object_is_text", R::kNone,
                      T::kHermes,
                      "<tool_call>\n{\"name\": \"get_weather\", "
                      "\"arguments\": [1, 2]}\n</tool_call>")
                  .Content("<tool_call>\n{\"name\": \"get_weather\", "
                           "\"arguments\": [1, 2]}\n</tool_call>"));
  v.push_back(Builder("hermes_tools_disabled_is_text", R::kNone, T::kHermes,
                      "<tool_call>\n{\"name\": \"get_weather\", "
                      "\"arguments\": {}}\n</tool_call>")
                  .NoTools()
                  .Content("<tool_call>\n{\"name\": \"get_weather\", "
                           "\"arguments\": {}}\n</tool_call>"));
  v.push_back(Builder("hermes_marker_lookalikes", R::kThink, T::kHermes,
                      "Use a <tool> tag, or write 1 < 2 and <thin")
                  .Content("Use a <tool> tag, or write 1 < 2 and <thin"));

  // --- Qwen3-Coder, GLM ---
  v.push_back(Builder("qwen3_coder_two_calls_typed", R::kNone, T::kQwen3Coder,
                      "I'll check both.\n\n<tool_call>\n<function=get_weather>"
                      "\n<parameter=location>\nSeoul\n</parameter>\n"
                      "</function>\n</tool_call>\n<tool_call>\n"
                      "<function=search_web>\n<parameter=query>\nSeoul events "
                      "this weekend\n</parameter>\n<parameter=max_results>\n3"
                      "\n</parameter>\n<parameter=safe_search>\nTrue\n"
                      "</parameter>\n<parameter=min_score>\n0.5\n</parameter>"
                      "\n<parameter=sites>\n[\"visitseoul.net\", "
                      "\"koreaherald.com\"]\n</parameter>\n</function>\n"
                      "</tool_call>")
                  .Schemas()
                  .Content("I'll check both.\n\n")
                  .WithCall("get_weather", kSeoulArgs)
                  .WithCall("search_web", kSearchArgs));
  v.push_back(
      Builder("qwen3_coder_string_param_stays_string", R::kNone, T::kQwen3Coder,
              "<tool_call>\n<function=search_web>\n<parameter=query>"
              "\n1984\n</parameter>\n<parameter=max_results>\n2\n"
              "</parameter>\n</function>\n</tool_call>")
          .Schemas()
          .WithCall("search_web", R"({"query":"1984","max_results":2})"));
  v.push_back(
      Builder("qwen3_coder_untyped_values", R::kNone, T::kQwen3Coder,
              "<tool_call>\n<function=book_table>\n<parameter=people>"
              "\n4\n</parameter>\n<parameter=place>\nLe Petit "
              "Zinc\n</parameter>\n<parameter=outdoor>\nFalse\n"
              "</parameter>\n</function>\n</tool_call>")
          .WithCall("book_table",
                    R"({"people":4,"place":"Le Petit Zinc","outdoor":false})"));
  v.push_back(Builder("glm_arg_pairs", R::kThink, T::kGlm,
                      "<think>Need the weather.</think>\n<tool_call>"
                      "get_weather\n<arg_key>location</arg_key>\n<arg_value>"
                      "Seoul</arg_value>\n</tool_call>")
                  .Schemas()
                  .Reasoning("Need the weather.")
                  .WithCall("get_weather", kSeoulArgs));

  // --- Llama 3.x ---
  v.push_back(Builder("llama3_json_call", R::kNone, T::kLlama3,
                      "{\"name\": \"get_weather\", \"parameters\": "
                      "{\"location\": \"Seoul\"}}")
                  .WithCall("get_weather", kSeoulArgs));
  v.push_back(Builder("llama3_typed_json_call", R::kNone, T::kLlama3,
                      "\n{\"type\": \"function\", \"name\": \"search_web\", "
                      "\"parameters\": {\"query\": \"Seoul events\", "
                      "\"max_results\": 3}}")
                  .WithCall("search_web",
                            R"({"query":"Seoul events","max_results":3})"));
  v.push_back(Builder("llama3_python_tag_json", R::kNone, T::kLlama3,
                      "<|python_tag|>{\"name\": \"get_weather\", "
                      "\"arguments\": {\"location\": \"Seoul\"}}")
                  .WithCall("get_weather", kSeoulArgs));
  v.push_back(
      Builder("llama3_builtin_brave_search", R::kNone, T::kLlama3,
              "<|python_tag|>brave_search.call(query=\"weather in "
              "Seoul today\")")
          .WithCall("brave_search", R"({"query":"weather in Seoul today"})"));
  v.push_back(
      Builder("llama3_code_interpreter", R::kNone, T::kLlama3,
              "<|python_tag|>import math\nprint(math.sqrt(2))")
          .WithCall("python",
                    R"j({"code":"import math\nprint(math.sqrt(2))"})j"));
  v.push_back(Builder("llama3_two_json_calls", R::kNone, T::kLlama3,
                      "{\"name\": \"get_weather\", \"parameters\": "
                      "{\"location\": \"Seoul\"}}\n{\"name\": \"search_web\", "
                      "\"parameters\": {\"query\": \"Seoul events\"}}")
                  .WithCall("get_weather", kSeoulArgs)
                  .WithCall("search_web", R"({"query":"Seoul events"})"));
  v.push_back(Builder("llama3_json_answer_is_text", R::kNone, T::kLlama3,
                      "{\"answer\": 42, \"name\": \"x\", \"parameters\": {}}")
                  .Content("{\"answer\": 42, \"name\": \"x\", "
                           "\"parameters\": {}}"));
  v.push_back(Builder("llama3_name_without_parameters_is_text", R::kNone,
                      T::kLlama3, "{\"name\": \"Ana\", \"age\": 31}")
                  .Content("{\"name\": \"Ana\", \"age\": 31}"));
  v.push_back(Builder("llama3_plain_answer", R::kNone, T::kLlama3,
                      "The weather in Seoul is sunny, 22°C.")
                  .Content("The weather in Seoul is sunny, 22°C."));
  v.push_back(Builder("llama3_call_after_text_is_text", R::kNone, T::kLlama3,
                      "Sure: {\"name\": \"get_weather\", \"parameters\": {}}")
                  .Content("Sure: {\"name\": \"get_weather\", "
                           "\"parameters\": {}}"));
  v.push_back(Builder("llama3_tools_disabled", R::kNone, T::kLlama3,
                      "{\"name\": \"get_weather\", \"parameters\": "
                      "{\"location\": \"Seoul\"}}")
                  .NoTools()
                  .Content("{\"name\": \"get_weather\", \"parameters\": "
                           "{\"location\": \"Seoul\"}}"));

  // --- Mistral ---
  v.push_back(Builder("mistral_nemo_json_array", R::kNone, T::kMistral,
                      "[TOOL_CALLS][{\"name\": \"get_weather\", "
                      "\"arguments\": {\"location\": \"Seoul\"}, \"id\": "
                      "\"a1b2c3d4e\"}, {\"name\": \"search_web\", "
                      "\"arguments\": {\"query\": \"Seoul events\"}}]")
                  .WithCall("get_weather", kSeoulArgs, "a1b2c3d4e")
                  .WithCall("search_web", R"({"query":"Seoul events"})"));
  v.push_back(Builder("devstral_name_args", R::kNone, T::kMistral,
                      "I'll check both.[TOOL_CALLS]get_weather[ARGS]"
                      "{\"location\": \"Seoul\"}[TOOL_CALLS]search_web[ARGS]"
                      "{\"query\": \"Seoul events this weekend\", "
                      "\"max_results\": 3, \"safe_search\": true, "
                      "\"min_score\": 0.5, \"sites\": [\"visitseoul.net\", "
                      "\"koreaherald.com\"]}")
                  .Content("I'll check both.")
                  .WithCall("get_weather", kSeoulArgs)
                  .WithCall("search_web", kSearchArgs));
  v.push_back(Builder("mistral_small_call_id", R::kNone, T::kMistral,
                      "[TOOL_CALLS]get_weather[CALL_ID]x7Kp2Qa9Z[ARGS]"
                      "{\"location\": \"Seoul\"}")
                  .WithCall("get_weather", kSeoulArgs, "x7Kp2Qa9Z"));
  v.push_back(Builder("mistral_bad_name_is_text", R::kNone, T::kMistral,
                      "[TOOL_CALLS]get weather[ARGS]{}")
                  .Content("[TOOL_CALLS]get weather[ARGS]{}"));
  v.push_back(Builder("mistral_unterminated_args_is_text", R::kNone,
                      T::kMistral,
                      "[TOOL_CALLS]get_weather[ARGS]{\"location\": \"Seo")
                  .Content("[TOOL_CALLS]get_weather[ARGS]{\"location\": "
                           "\"Seo"));

  // --- Phi-4-mini, Granite 3.3 ---
  v.push_back(Builder("phi4_mini_tool_call", R::kNone, T::kPhi4Mini,
                      "<|tool_call|>[{\"name\": \"get_weather\", "
                      "\"arguments\": {\"location\": \"Seoul\"}}]"
                      "<|/tool_call|>")
                  .WithCall("get_weather", kSeoulArgs));
  v.push_back(Builder("granite33_tool_call_no_close", R::kNone, T::kPhi4Mini,
                      "<|tool_call|>[{\"name\": \"get_weather\", "
                      "\"arguments\": {\"location\": \"Seoul\"}}, {\"name\": "
                      "\"search_web\", \"arguments\": {\"query\": \"Seoul "
                      "events\"}}]")
                  .WithCall("get_weather", kSeoulArgs)
                  .WithCall("search_web", R"({"query":"Seoul events"})"));
  v.push_back(Builder("phi4_mini_not_json_is_text", R::kNone, T::kPhi4Mini,
                      "<|tool_call|>get_weather(Seoul) and more")
                  .Content("<|tool_call|>get_weather(Seoul) and more"));

  // --- Gemma ---
  v.push_back(
      Builder("gemma_tool_code_block", R::kNone, T::kGemma,
              "```tool_code\nget_weather(location=\"Seoul\", "
              "unit=\"celsius\")\n```")
          .WithCall("get_weather", R"({"location":"Seoul","unit":"celsius"})"));
  v.push_back(Builder("gemma_python_list", R::kNone, T::kGemma,
                      "[get_weather(location='Seoul'), search_web(query="
                      "\"Seoul events this weekend\", max_results=3, "
                      "safe_search=True, min_score=0.5, sites=["
                      "'visitseoul.net', 'koreaherald.com'])]")
                  .WithCall("get_weather", kSeoulArgs)
                  .WithCall("search_web", kSearchArgs));
  v.push_back(Builder("gemma_json_object", R::kNone, T::kGemma,
                      "{\"name\": \"get_weather\", \"parameters\": "
                      "{\"location\": \"Seoul\"}}")
                  .WithCall("get_weather", kSeoulArgs));
  v.push_back(Builder("gemma_bracket_text", R::kNone, T::kGemma,
                      "[1] Seoul is the capital of South Korea.")
                  .Content("[1] Seoul is the capital of South Korea."));

  // --- generic ---
  v.push_back(Builder("generic_tool_calls_wrapper", R::kNone, T::kGeneric,
                      "{\"tool_calls\": [{\"name\": \"get_weather\", "
                      "\"arguments\": {\"location\": \"Seoul\"}, \"id\": "
                      "\"w1\"}]}")
                  .WithCall("get_weather", kSeoulArgs, "w1"));
  v.push_back(Builder("generic_tool_call_wrapper", R::kNone, T::kGeneric,
                      "{\"tool_call\": {\"name\": \"get_weather\", "
                      "\"arguments\": {\"location\": \"Seoul\"}}}")
                  .WithCall("get_weather", kSeoulArgs));
  v.push_back(Builder("generic_response", R::kNone, T::kGeneric,
                      "{\"response\": \"Hello! How can I help?\"}")
                  .Content("Hello! How can I help?"));
  v.push_back(Builder("generic_tool_call_tag", R::kNone, T::kGeneric,
                      "<tool_call>\n{\"name\": \"get_weather\", "
                      "\"arguments\": {\"location\": \"Seoul\"}}\n"
                      "</tool_call>")
                  .WithCall("get_weather", kSeoulArgs));

  // --- other publishers' layouts ---
  v.push_back(Builder("firefunction_functools", R::kNone, T::kFirefunction,
                      " functools[{\"name\": \"get_weather\", \"arguments\": "
                      "{\"location\": \"Seoul\"}}]")
                  .WithCall("get_weather", kSeoulArgs));
  v.push_back(Builder("command_r_action", R::kCommandR, T::kCommandR,
                      "<|START_THINKING|>I will look up the weather."
                      "<|END_THINKING|><|START_ACTION|>[\n    "
                      "{\"tool_call_id\": \"0\", \"tool_name\": "
                      "\"get_weather\", \"parameters\": {\"location\": "
                      "\"Seoul\"}}\n]<|END_ACTION|>")
                  .Reasoning("I will look up the weather.")
                  .WithCall("get_weather", kSeoulArgs, "0"));
  v.push_back(Builder("deepseek_v31_calls", R::kThink, T::kDeepSeek,
                      "</think>I'll check both.<｜tool▁calls▁begin｜>"
                      "<｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>"
                      "{\"location\": \"Seoul\"}<｜tool▁call▁end｜>"
                      "<｜tool▁call▁begin｜>search_web<｜tool▁sep｜>"
                      "{\"query\": \"Seoul events\"}<｜tool▁call▁end｜>"
                      "<｜tool▁calls▁end｜>")
                  .StartsInReasoning()
                  .Content("I'll check both.")
                  .WithCall("get_weather", kSeoulArgs)
                  .WithCall("search_web", R"({"query":"Seoul events"})"));
  v.push_back(Builder("deepseek_r1_fenced_call", R::kThink, T::kDeepSeek,
                      "I should call the weather tool.\n</think>\n\n"
                      "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function"
                      "<｜tool▁sep｜>get_weather\n```json\n{\"location\": "
                      "\"Seoul\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>")
                  .StartsInReasoning()
                  .Reasoning("I should call the weather tool.")
                  .WithCall("get_weather", kSeoulArgs));
  v.push_back(Builder("deepseek_v4_dsml", R::kThink, T::kDeepSeekDsml,
                      "</think>I'll check both.\n\n<｜DSML｜tool_calls>\n"
                      "<｜DSML｜invoke name=\"get_weather\">\n"
                      "<｜DSML｜parameter name=\"location\" string=\"true\">"
                      "Seoul</｜DSML｜parameter>\n</｜DSML｜invoke>\n"
                      "<｜DSML｜invoke name=\"search_web\">\n"
                      "<｜DSML｜parameter name=\"query\" string=\"true\">"
                      "Seoul events this weekend</｜DSML｜parameter>\n"
                      "<｜DSML｜parameter name=\"max_results\" "
                      "string=\"false\">3</｜DSML｜parameter>\n"
                      "<｜DSML｜parameter name=\"safe_search\" "
                      "string=\"false\">true</｜DSML｜parameter>\n"
                      "<｜DSML｜parameter name=\"min_score\" "
                      "string=\"false\">0.5</｜DSML｜parameter>\n"
                      "<｜DSML｜parameter name=\"sites\" string=\"false\">"
                      "[\"visitseoul.net\", \"koreaherald.com\"]"
                      "</｜DSML｜parameter>\n</｜DSML｜invoke>\n"
                      "</｜DSML｜tool_calls>")
                  .StartsInReasoning()
                  .Content("I'll check both.\n\n")
                  .WithCall("get_weather", kSeoulArgs)
                  .WithCall("search_web", kSearchArgs));
  v.push_back(
      Builder("kimi_k2_section", R::kThink, T::kKimiK2,
              "I'll check both.<|tool_calls_section_begin|>"
              "<|tool_call_begin|>functions.get_weather:0"
              "<|tool_call_argument_begin|>{\"location\": \"Seoul\"}"
              "<|tool_call_end|><|tool_call_begin|>"
              "functions.search_web:1<|tool_call_argument_begin|>"
              "{\"query\": \"Seoul events\"}<|tool_call_end|>"
              "<|tool_calls_section_end|>")
          .Content("I'll check both.")
          .WithCall("get_weather", kSeoulArgs, "functions.get_weather:0")
          .WithCall("search_web", R"({"query":"Seoul events"})",
                    "functions.search_web:1"));
  v.push_back(Builder("apriel_tool_calls", R::kApriel, T::kApriel,
                      "The user wants weather.\n[BEGIN FINAL RESPONSE]\n"
                      "I'll check.\n<tool_calls>[{\"name\": \"get_weather\", "
                      "\"arguments\": {\"location\": \"Seoul\"}, \"id\": "
                      "\"call00001\"}]</tool_calls>\n[END FINAL RESPONSE]")
                  .Reasoning("The user wants weather.")
                  .Content("I'll check.\n")
                  .WithCall("get_weather", kSeoulArgs, "call00001"));
  v.push_back(Builder("minimax_m1_lines", R::kNone, T::kMiniMaxM1,
                      "<tool_calls>\n{\"name\": \"get_weather\", "
                      "\"arguments\": {\"location\": \"Seoul\"}}\n{\"name\": "
                      "\"search_web\", \"arguments\": {\"query\": \"Seoul "
                      "events\"}}\n</tool_calls>")
                  .WithCall("get_weather", kSeoulArgs)
                  .WithCall("search_web", R"({"query":"Seoul events"})"));
  v.push_back(Builder("minimax_m2_invoke", R::kThink, T::kMiniMaxM2,
                      "<think>\nTwo lookups.\n</think>\n\n"
                      "<minimax:tool_call>\n<invoke name=\"get_weather\">\n"
                      "<parameter name=\"location\">Seoul</parameter>\n"
                      "</invoke>\n<invoke name=\"search_web\">\n"
                      "<parameter name=\"query\">Seoul events this weekend"
                      "</parameter>\n<parameter name=\"max_results\">3"
                      "</parameter>\n<parameter name=\"safe_search\">true"
                      "</parameter>\n<parameter name=\"min_score\">0.5"
                      "</parameter>\n<parameter name=\"sites\">"
                      "[\"visitseoul.net\", \"koreaherald.com\"]</parameter>\n"
                      "</invoke>\n</minimax:tool_call>")
                  .Schemas()
                  .Reasoning("Two lookups.")
                  .WithCall("get_weather", kSeoulArgs)
                  .WithCall("search_web", kSearchArgs));
  v.push_back(Builder("seed_oss_call", R::kSeedThink, T::kSeedOss,
                      "<seed:think>Weather lookup.</seed:think>\n"
                      "<seed:tool_call>\n<function=search_web>\n"
                      "<parameter=query>Seoul events this weekend</parameter>"
                      "\n<parameter=max_results>3</parameter>\n"
                      "<parameter=safe_search>True</parameter>\n"
                      "<parameter=min_score>0.5</parameter>\n"
                      "<parameter=sites>['visitseoul.net', "
                      "'koreaherald.com']</parameter>\n</function>\n"
                      "</seed:tool_call>")
                  .Schemas()
                  .Reasoning("Weather lookup.")
                  .WithCall("search_web", kSearchArgs));
  v.push_back(Builder("nemotron_toolcall", R::kThink, T::kNemotron,
                      "<think>\nNeed data.\n</think>\n<TOOLCALL>[{\"name\": "
                      "\"get_weather\", \"arguments\": {\"location\": "
                      "\"Seoul\"}}]</TOOLCALL>")
                  .Reasoning("Need data.")
                  .WithCall("get_weather", kSeoulArgs));
  v.push_back(Builder("lfm2_python_call", R::kNone, T::kLfm2,
                      "<|tool_call_start|>[get_weather(location=\"Seoul\")]"
                      "<|tool_call_end|>Checking the weather in Seoul.")
                  .WithCall("get_weather", kSeoulArgs)
                  .Content("Checking the weather in Seoul."));
  v.push_back(Builder("solar_call", R::kNone, T::kSolar,
                      "<|tool_calls|><|tool_call:begin|>call00001"
                      "<|tool_call:name|>get_weather<|tool_call:args|>"
                      "{\"location\": \"Seoul\"}<|tool_call:end|><|calls|>")
                  .WithCall("get_weather", kSeoulArgs, "call00001"));
  v.push_back(Builder("glimmer_invoke", R::kNone, T::kGlimmer,
                      "<atem:function_calls>\n<atem:invoke "
                      "name=\"get_weather\">\n<atem:parameter "
                      "name=\"location\">Seoul</atem:parameter>\n"
                      "</atem:invoke>\n</atem:function_calls>")
                  .Schemas()
                  .WithCall("get_weather", kSeoulArgs));
  v.push_back(Builder("harmony_call", R::kHarmony, T::kHarmony,
                      "<|channel|>analysis<|message|>Need to use the weather "
                      "function.<|end|><|start|>assistant<|channel|>"
                      "commentary to=functions.get_weather <|constrain|>json"
                      "<|message|>{\"location\":\"Seoul\"}<|call|>")
                  .Reasoning("Need to use the weather function.")
                  .WithCall("get_weather", kSeoulArgs));
  v.push_back(Builder("harmony_recipient_in_header", R::kHarmony, T::kHarmony,
                      "<|channel|>analysis<|message|>Call it.<|end|>"
                      "<|start|>assistant to=functions.search_web"
                      "<|channel|>commentary json<|message|>{\"query\": "
                      "\"Seoul events\"}<|call|>")
                  .Reasoning("Call it.")
                  .WithCall("search_web", R"({"query":"Seoul events"})"));
  return v;
}

}  // namespace

ToolCall Call(int index, std::string id, std::string name,
              std::string arguments) {
  ToolCall c;
  c.index = index;
  c.id = std::move(id);
  c.name = std::move(name);
  c.arguments = std::move(arguments);
  return c;
}

const std::vector<OutputCase>& OutputCases() {
  static const std::vector<OutputCase>* const cases =
      new std::vector<OutputCase>(MakeCases());
  return *cases;
}

}  // namespace edgellm::chat::output::testing
