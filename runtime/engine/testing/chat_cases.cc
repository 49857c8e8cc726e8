#include "runtime/engine/testing/chat_cases.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace edgellm::testing {
namespace {

using Json = nlohmann::ordered_json;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::vector<SharedTemplate> ReadSharedTemplates(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 6 && name.substr(name.size() - 6) == ".jsonl") {
        names.push_back(name.substr(0, name.size() - 6));
      }
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  std::vector<SharedTemplate> templates;
  for (const std::string& name : names) {
    SharedTemplate t;
    t.name = name;
    t.source = ReadFile(dir + "/" + name + ".jinja");
    std::istringstream lines(ReadFile(dir + "/" + name + ".jsonl"));
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      const Json record = Json::parse(line);
      ChatCase c;
      c.name = record["case"].get<std::string>();
      c.context = record["context"];
      if (record["output"].is_string()) {
        c.output = record["output"].get<std::string>();
      }
      if (record["error"].is_string()) {
        c.error = record["error"].get<std::string>();
      }
      t.cases.push_back(std::move(c));
    }
    templates.push_back(std::move(t));
  }
  return templates;
}

bool Expressible(const Json& context) {
  if (context.contains("tools") && context["tools"].is_null()) return false;
  for (const Json& m : context["messages"]) {
    if (m.contains("content") && m["content"].is_null()) return false;
    if (!m.contains("tool_calls")) continue;
    for (const Json& c : m["tool_calls"]) {
      const Json& args = c["function"]["arguments"];
      if (!args.is_string()) continue;
      const Json parsed = Json::parse(args.get<std::string>(), nullptr,
                                      /*allow_exceptions=*/false);
      if (parsed.is_object()) return false;
    }
  }
  return true;
}

ChatRequest RequestFromContext(const Json& context) {
  ChatRequest r;
  for (const Json& m : context["messages"]) {
    ChatMessage msg;
    msg.role = m["role"].get<std::string>();
    if (m.contains("content") && m["content"].is_array()) {
      for (const Json& part : m["content"]) {
        msg.content_parts.push_back(
            {part["type"].get<std::string>(), part["text"].get<std::string>()});
      }
    } else if (m.contains("content") && m["content"].is_string()) {
      msg.content = m["content"].get<std::string>();
    }
    if (m.contains("tool_call_id")) {
      msg.tool_call_id = m["tool_call_id"].get<std::string>();
    }
    if (m.contains("name")) msg.name = m["name"].get<std::string>();
    if (m.contains("reasoning_content")) {
      msg.reasoning_content = m["reasoning_content"].get<std::string>();
    }
    if (m.contains("tool_calls")) {
      for (const Json& c : m["tool_calls"]) {
        ToolCall call;
        call.id = c.value("id", "");
        call.name = c["function"]["name"].get<std::string>();
        const Json& args = c["function"]["arguments"];
        call.arguments =
            args.is_string() ? args.get<std::string>() : args.dump();
        msg.tool_calls.push_back(std::move(call));
      }
    }
    r.messages.push_back(std::move(msg));
  }
  if (context.contains("tools") && context["tools"].is_array()) {
    for (const Json& t : context["tools"]) {
      const Json& f = t["function"];
      ChatTool tool;
      tool.name = f["name"].get<std::string>();
      tool.description = f.value("description", "");
      if (f.contains("parameters")) tool.parameters = f["parameters"].dump();
      r.tools.push_back(std::move(tool));
    }
  }
  r.add_generation_prompt = context["add_generation_prompt"].get<bool>();
  Json kwargs = Json::object();
  for (const auto& [key, value] : context.items()) {
    if (key != "messages" && key != "tools" && key != "add_generation_prompt" &&
        key != "bos_token" && key != "eos_token") {
      kwargs[key] = value;
    }
  }
  if (!kwargs.empty()) r.template_kwargs = kwargs.dump();
  return r;
}

std::tm SharedCasesNow() {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 6;
  tm.tm_mday = 26;
  tm.tm_hour = 12;
  tm.tm_wday = 0;
  tm.tm_yday = 206;
  return tm;
}

}  // namespace edgellm::testing
