// Renders template cases for the live comparison with Python's Jinja2
// (jinja2_live_test.sh): reads JSON lines {"name", "template", "context"}
// from the file named by argv[1] and prints one JSON line per case:
// {"name", "output"} or {"name", "error": "Type: message"}. strftime_now
// reads the same fixed clock as the Python side.
#include <fstream>
#include <iostream>
#include <string>

#include "nlohmann/json.hpp"
#include "runtime/chat/jinja/template.h"

namespace {

std::tm FixedNow() {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 6;
  tm.tm_mday = 26;
  tm.tm_hour = 12;
  tm.tm_wday = 0;
  tm.tm_yday = 206;
  return tm;
}

}  // namespace

int main(int argc, char** argv) {
  using edgellm::chat::jinja::ErrorText;
  using edgellm::chat::jinja::Template;
  if (argc != 2) {
    std::cerr << "usage: render_cases CASES.jsonl\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  edgellm::chat::jinja::RenderOptions options;
  options.now = FixedNow;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto c = nlohmann::ordered_json::parse(line);
    nlohmann::ordered_json out;
    out["name"] = c["name"];
    auto tpl = Template::Parse(c["template"].get<std::string>());
    absl::StatusOr<std::string> text =
        tpl.ok() ? tpl->RenderJson(c["context"], options)
                 : absl::StatusOr<std::string>(tpl.status());
    if (text.ok()) {
      out["output"] = *text;
    } else {
      out["error"] = ErrorText(text.status());
      out["where"] = std::string(text.status().message());
    }
    std::cout << out.dump() << "\n";
  }
  return 0;
}
