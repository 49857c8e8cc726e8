// Renders every real chat template in ../shared/chat_templates with every
// recorded conversation and compares with what Python's Jinja2 produced in
// Hugging Face's environment: the output byte for byte, or the error as
// "Type: message". The records, templates and clock are described in that
// folder's README; this test reads whatever NAME.jinja / NAME.jsonl pairs
// are there.
#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/chat/jinja/template.h"
#include "tests/testing/shared_dir.h"

namespace edgellm::chat::jinja {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> TemplateNames(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    const std::string suffix = ".jsonl";
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.push_back(name.substr(0, name.size() - suffix.size()));
    }
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// The renderer's fixed clock: Sunday 26 July 2026, 12:00:00.
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

TEST(Jinja2ReferenceTest, EveryTemplateAndCaseMatches) {
  const std::string shared = edgellm::testing::SharedDirOrEmpty();
  if (shared.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
  const std::string dir = shared + "/chat_templates";
  const std::vector<std::string> names = TemplateNames(dir);
  ASSERT_FALSE(names.empty()) << "no NAME.jsonl in " << dir;
  RenderOptions options;
  options.now = FixedNow;
  int total = 0, passed = 0, ok_cases = 0, error_cases = 0;
  for (const std::string& name : names) {
    const std::string source = ReadFile(dir + "/" + name + ".jinja");
    absl::StatusOr<Template> tpl = Template::Parse(source);
    std::istringstream lines(ReadFile(dir + "/" + name + ".jsonl"));
    std::string line;
    int template_passed = 0, template_total = 0;
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      const auto record = nlohmann::ordered_json::parse(line);
      const std::string case_name = record["case"].get<std::string>();
      ++total;
      ++template_total;
      absl::StatusOr<std::string> got =
          tpl.ok() ? tpl->RenderJson(record["context"], options)
                   : absl::StatusOr<std::string>(tpl.status());
      bool match;
      if (record["error"].is_null()) {
        ++ok_cases;
        const std::string want = record["output"].get<std::string>();
        match = got.ok() && *got == want;
        EXPECT_TRUE(match) << name << " / " << case_name << ": "
                           << (got.ok() ? "output differs"
                                        : std::string(got.status().message()))
                           << "\n--- want ---\n"
                           << want << "\n--- got ---\n"
                           << (got.ok() ? *got : "");
      } else {
        ++error_cases;
        const std::string want = record["error"].get<std::string>();
        match = !got.ok() && ErrorText(got.status()) == want;
        EXPECT_TRUE(match) << name << " / " << case_name << ": want error "
                           << want << ", got "
                           << (got.ok() ? "output:\n" + *got
                                        : std::string(got.status().message()));
      }
      if (match) {
        ++passed;
        ++template_passed;
      }
    }
    std::cout << name << ": " << template_passed << "/" << template_total
              << "\n";
  }
  std::cout << "templates=" << names.size() << " cases=" << total << " (ok "
            << ok_cases << ", errors " << error_cases << ") passed=" << passed
            << "\n";
}

}  // namespace
}  // namespace edgellm::chat::jinja
