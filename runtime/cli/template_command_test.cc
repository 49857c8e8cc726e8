#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/run_command_for_test.h"
#include "runtime/gguf/writer.h"

namespace edgellm::cli {
namespace {

using ::testing::HasSubstr;

std::string TempFile(const std::string& name, const std::string& contents) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

CommandResult RunTemplate(const std::vector<std::string>& args) {
  CommandResult r = RunCommandForTest(TemplateCommand(), args);
  EXPECT_NE(r.code, -1) << r.err;
  return r;
}

constexpr char kTemplate[] =
    "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}\n";
constexpr char kContext[] =
    R"({"messages": [{"role": "user", "content": "Grüße 😀"}], "add_generation_prompt": true})";

TEST(TemplateCommandTest, WritesTheRenderedTextExactly) {
  const std::string tpl = TempFile("t.jinja", kTemplate);
  const std::string ctx = TempFile("c.json", kContext);
  CommandResult r = RunTemplate({"--template", tpl, "--context", ctx});
  ASSERT_EQ(r.code, 0) << r.err;
  // The template's final newline is dropped (keep_trailing_newline off);
  // nothing is appended.
  EXPECT_EQ(r.out, "<|user|>Grüße 😀\n<|assistant|>");
  EXPECT_EQ(r.err, "");
}

TEST(TemplateCommandTest, ModelTemplateFromGguf) {
  gguf::GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetString("tokenizer.chat_template", kTemplate);
  const std::string model = TempFile("m.gguf", "");
  ASSERT_TRUE(w.Write(model).ok());
  const std::string ctx = TempFile("c2.json", kContext);
  CommandResult r = RunTemplate({"--model", model, "--context", ctx});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "<|user|>Grüße 😀\n<|assistant|>");

  gguf::GgufWriter bare;
  bare.SetString("general.architecture", "llama");
  const std::string no_template = TempFile("bare.gguf", "");
  ASSERT_TRUE(bare.Write(no_template).ok());
  r = RunTemplate({"--model", no_template});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("tokenizer.chat_template"));
}

TEST(TemplateCommandTest, TemplateErrorsExitOneWithTheMessage) {
  const std::string raises = TempFile(
      "r.jinja", "ok\n{{ raise_exception('System role not supported') }}");
  CommandResult r = RunTemplate({"-t", raises});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(
      r.err,
      HasSubstr("line 2, column 4: TemplateError: System role not supported"));

  const std::string bad = TempFile("b.jinja", "{% for x in %}");
  r = RunTemplate({"-t", bad});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("TemplateSyntaxError"));
}

TEST(TemplateCommandTest, UsageErrors) {
  EXPECT_EQ(RunTemplate({}).code, 2);
  const std::string tpl = TempFile("u.jinja", "x");
  EXPECT_EQ(RunTemplate({"-t", tpl, "-m", "x.gguf"}).code, 2);
  CommandResult r = RunTemplate({"-t", tpl, "-c", TempFile("bad.json", "[1]")});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("not a JSON object"));
  r = RunTemplate({"-t", "/nonexistent.jinja"});
  EXPECT_EQ(r.code, 1);
}

}  // namespace
}  // namespace edgellm::cli
