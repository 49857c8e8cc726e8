// Chat template rendering cost: a 20-message conversation with two tools
// (system prompt, user and assistant turns, assistant tool calls and tool
// results) rendered through a Qwen-style template with tool definitions
// written for this bench, or through any template file given.
//
//   bazel run -c opt //bench:chat_template_bench -- [--template=FILE.jinja]
//       [--renders=N]
//
// Prints one JSON object: the parse time, the rendered size, the best and
// median microseconds per render from the JSON context over 5 rounds of N
// renders each, and the best per render from a context already converted
// to values.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "runtime/chat/jinja/template.h"

namespace {

using Clock = std::chrono::steady_clock;

// Tools in the system prompt as JSON lines, tool calls as <tool_call> JSON,
// tool results grouped in one user turn: the layout of Hermes/Qwen 2.5.
constexpr char kTemplate[] = R"JINJA({%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0].role == 'system' %}
        {{- messages[0].content + '\n\n' }}
    {%- else %}
        {{- 'You are a helpful assistant.\n\n' }}
    {%- endif %}
    {{- "# Tools\n\nYou may call one or more functions.\n\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nReturn each call as <tool_call>{\"name\": ..., \"arguments\": ...}</tool_call>.<|im_end|>\n" }}
{%- elif messages[0].role == 'system' %}
    {{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
    {%- if message.role == "user" or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>assistant' }}
        {%- if message.content %}
            {{- '\n' + message.content | trim }}
        {%- endif %}
        {%- for tool_call in message.tool_calls | default([]) %}
            {%- set call = tool_call.function if tool_call.function is defined else tool_call %}
            {{- '\n<tool_call>\n{"name": "' + call.name + '", "arguments": ' }}
            {{- call.arguments if call.arguments is string else call.arguments | tojson }}
            {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.first or messages[loop.index0 - 1].role != "tool" %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' + message.content + '\n</tool_response>' }}
        {%- if loop.last or messages[loop.index0 + 1].role != "tool" %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
)JINJA";

nlohmann::ordered_json Conversation() {
  using J = nlohmann::ordered_json;
  J tools = J::parse(R"([
    {"type": "function", "function": {"name": "get_weather",
      "description": "Current weather for a city.",
      "parameters": {"type": "object", "properties": {
        "location": {"type": "string", "description": "City, e.g. Paris"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["location"]}}},
    {"type": "function", "function": {"name": "search_web",
      "description": "Search the web and return the top results.",
      "parameters": {"type": "object", "properties": {
        "query": {"type": "string"},
        "max_results": {"type": "integer", "default": 5},
        "sites": {"type": "array", "items": {"type": "string"}}},
        "required": ["query"]}}}])");
  J messages = J::array();
  messages.push_back(
      {{"role", "system"}, {"content", "You are a concise travel assistant."}});
  const char* cities[] = {"Paris", "Tokyo", "Lima", "Oslo", "Cairo", "Seoul"};
  int id = 0;
  while (messages.size() < 20) {
    const std::string city = cities[id % 6];
    messages.push_back(
        {{"role", "user"},
         {"content", "What is the weather in " + city +
                         " today, and is there anything worth seeing?"}});
    if (messages.size() >= 20) break;
    J call = {
        {"id", "call_" + std::to_string(id)},
        {"type", "function"},
        {"function",
         {{"name", id % 2 ? "search_web" : "get_weather"},
          {"arguments",
           id % 2 ? J{{"query", "things to see in " + city}, {"max_results", 3}}
                  : J{{"location", city}, {"unit", "celsius"}}}}}};
    messages.push_back({{"role", "assistant"},
                        {"content", ""},
                        {"tool_calls", J::array({call})}});
    if (messages.size() >= 20) break;
    messages.push_back(
        {{"role", "tool"},
         {"tool_call_id", "call_" + std::to_string(id)},
         {"content", "{\"temperature\": 21, \"condition\": \"sunny\"}"}});
    if (messages.size() >= 20) break;
    messages.push_back({{"role", "assistant"},
                        {"content", "  It is 21°C and sunny in " + city +
                                        ". The old town is worth a walk.  "}});
    ++id;
  }
  return J{{"messages", messages},
           {"tools", tools},
           {"add_generation_prompt", true},
           {"bos_token", "<s>"},
           {"eos_token", "</s>"}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string template_path;
  int renders = 2000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--template=", 0) == 0) {
      template_path = a.substr(11);
    } else if (a.rfind("--renders=", 0) == 0) {
      renders = std::max(1, std::stoi(a.substr(10)));
    } else {
      std::cerr << "usage: chat_template_bench [--template=FILE.jinja] "
                   "[--renders=N]\n";
      return 2;
    }
  }
  std::string source = kTemplate;
  if (!template_path.empty()) {
    std::ifstream in(template_path, std::ios::binary);
    if (!in) {
      std::cerr << "cannot read " << template_path << "\n";
      return 1;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    source = ss.str();
  }
  const nlohmann::ordered_json context = Conversation();

  const auto p0 = Clock::now();
  auto tpl = edgellm::chat::jinja::Template::Parse(source);
  const double parse_us =
      std::chrono::duration<double, std::micro>(Clock::now() - p0).count();
  if (!tpl.ok()) {
    std::cerr << tpl.status().message() << "\n";
    return 1;
  }
  auto first = tpl->RenderJson(context);
  if (!first.ok()) {
    std::cerr << first.status().message() << "\n";
    return 1;
  }
  // Each round renders from the JSON context, as a server request would.
  std::vector<double> per_render_us;
  size_t sink = 0;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = Clock::now();
    for (int i = 0; i < renders; ++i) sink += tpl->RenderJson(context)->size();
    per_render_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - t0).count() /
        renders);
  }
  std::sort(per_render_us.begin(), per_render_us.end());
  // The same renders from a context already converted to values.
  const edgellm::chat::jinja::Value values =
      edgellm::chat::jinja::Value::FromJson(context);
  std::vector<double> from_values_us;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = Clock::now();
    for (int i = 0; i < renders; ++i)
      sink += tpl->Render(values.dict())->size();
    from_values_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - t0).count() /
        renders);
  }
  std::sort(from_values_us.begin(), from_values_us.end());
  nlohmann::ordered_json out;
  out["template"] =
      template_path.empty() ? "built-in qwen-style" : template_path;
  out["messages"] = context["messages"].size();
  out["tools"] = context["tools"].size();
  out["rendered_bytes"] = first->size();
  out["parse_us"] = parse_us;
  out["renders_per_round"] = renders;
  out["render_us_best"] = per_render_us.front();
  out["render_us_median"] = per_render_us[per_render_us.size() / 2];
  out["render_from_values_us_best"] = from_values_us.front();
  out["checksum"] = sink % 1000003;
  std::cout << out.dump(2) << "\n";
  return 0;
}
