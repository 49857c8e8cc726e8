// Unit tests of the public Template API: rendering, error positions and
// Jinja2-style error text, render limits against hostile templates, and
// concurrent renders. Semantics against Jinja2 itself are checked by
// jinja2_live_test and jinja2_reference_test.
#include "runtime/chat/jinja/template.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgellm::chat::jinja {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

absl::StatusOr<std::string> Render(
    std::string_view source,
    const nlohmann::ordered_json& context = nlohmann::ordered_json::object(),
    const RenderOptions& options = {}) {
  absl::StatusOr<Template> t = Template::Parse(source);
  if (!t.ok()) return t.status();
  return t->RenderJson(context, options);
}

TEST(TemplateTest, RendersMessagesInOrder) {
  const auto context = nlohmann::ordered_json::parse(R"({
    "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
    "tools": [{"z": 1, "a": 2}]})");
  auto out = Render(
      "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}{{ "
      "tools|tojson }}",
      context);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "<user>hi\n<assistant>yo\n[{\"z\": 1, \"a\": 2}]");
}

TEST(TemplateTest, TrimAndLstripBlocksAsHuggingFaceSetsThem) {
  auto out = Render("a\n  {% if true %}\n  b\n  {% endif %}\nc\n");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "a\n  b\nc");
}

TEST(TemplateTest, RaiseExceptionGivesTemplateErrorWithPosition) {
  auto out = Render("line one\n  {{ raise_exception('no system role') }}");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ErrorText(out.status()), "TemplateError: no system role");
  EXPECT_THAT(std::string(out.status().message()),
              StartsWith("template line 2, column 6: "));
}

TEST(TemplateTest, SyntaxErrorNamesLineAndColumn) {
  auto t = Template::Parse("ok\n{% for x in %}");
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(ErrorText(t.status()), StartsWith("TemplateSyntaxError: "));
  EXPECT_THAT(std::string(t.status().message()),
              StartsWith("template line 2, column "));
}

TEST(TemplateTest, UnknownFilterFailsAtParseUnlessInsideIf) {
  EXPECT_EQ(ErrorText(Template::Parse("{{ x|from_json }}").status()),
            "TemplateAssertionError: No filter named 'from_json'.");
  auto out = Render("{% if false %}{{ x|from_json }}{% endif %}ok");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "ok");
}

TEST(TemplateTest, InvalidUtf8SourceIsAnError) {
  EXPECT_FALSE(Template::Parse("abc \xff def").ok());
}

TEST(TemplateTest, StrftimeNowReadsTheGivenClock) {
  RenderOptions options;
  options.now = [] {
    std::tm tm{};
    tm.tm_year = 126;
    tm.tm_mon = 6;
    tm.tm_mday = 26;
    return tm;
  };
  auto out = Render("{{ strftime_now('%d %b %Y') }}",
                    nlohmann::ordered_json::object(), options);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "26 Jul 2026");
}

// ---- limits: a hostile template ends with an error ----

absl::Status RenderStatus(std::string_view source,
                          const RenderOptions& options = {}) {
  return Render(source, nlohmann::ordered_json::object(), options).status();
}

TEST(TemplateLimitsTest, NestedLoopsHitTheWorkLimit) {
  RenderOptions options;
  options.max_steps = 1'000'000;
  absl::Status s = RenderStatus(
      "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% "
      "endfor %}",
      options);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_THAT(ErrorText(s), StartsWith("LimitExceeded: "));
}

TEST(TemplateLimitsTest, InfiniteMacroRecursionHitsTheDepthLimit) {
  absl::Status s =
      RenderStatus("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
}

TEST(TemplateLimitsTest, OutputSizeIsBounded) {
  RenderOptions options;
  options.max_output_bytes = 1 << 16;
  absl::Status s = RenderStatus(
      "{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", options);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
}

TEST(TemplateLimitsTest, HugeRepetitionIsRefusedBeforeAllocating) {
  EXPECT_EQ(RenderStatus("{{ 'abc' * 1000000000000 }}").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RenderStatus("{{ [1, 2] * 1000000000000 }}").code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(TemplateLimitsTest, DoublingStringsHitsALimit) {
  absl::Status s = RenderStatus(
      "{% set ns = namespace(s='ab') %}{% for i in range(100) %}"
      "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
}

TEST(TemplateLimitsTest, DeepNestingIsASyntaxErrorNotACrash) {
  const std::string parens =
      std::string(5000, '(') + "1" + std::string(5000, ')');
  EXPECT_FALSE(Template::Parse("{{ " + parens + " }}").ok());
  std::string chain = "{{ 1";
  for (int i = 0; i < 5000; ++i) chain += " + 1";
  EXPECT_FALSE(Template::Parse(chain + " }}").ok());
  std::string ifs;
  for (int i = 0; i < 2000; ++i) ifs += "{% if true %}";
  for (int i = 0; i < 2000; ++i) ifs += "{% endif %}";
  EXPECT_FALSE(Template::Parse(ifs).ok());
}

TEST(TemplateLimitsTest, IntegerOverflowIsAnError) {
  EXPECT_FALSE(RenderStatus("{{ 2 ** 64 }}").ok());
  EXPECT_FALSE(RenderStatus("{{ 9223372036854775807 + 1 }}").ok());
}

TEST(TemplateLimitsTest, SelfReferencingNamespacePrints) {
  auto out = Render("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(*out, HasSubstr("<Namespace {'me': <Namespace"));
}

TEST(TemplateLimitsTest, MacroOutlivingItsLoopScopeIsSafe) {
  // The macro keeps no pointer into the finished loop iteration.
  auto out = Render(
      "{% set ns = namespace() %}{% for i in [1] %}{% macro m() %}[{{ i }}]{% "
      "endmacro %}"
      "{% set ns.m = m %}{% endfor %}{{ ns.m() }}");
  ASSERT_TRUE(out.ok()) << out.status();
}

TEST(TemplateLimitsTest, LoopObjectOutlivingItsLoopIsSafe) {
  auto out = Render(
      "{% set ns = namespace() %}{% for i in [1, 2] recursive %}{% set ns.l = "
      "loop %}"
      "{% endfor %}{{ ns.l.index }}{{ ns.l([3]) }}");
  EXPECT_TRUE(out.ok() || !out.status().message().empty());
}

TEST(TemplateTest, ConcurrentRendersOfOneTemplate) {
  auto t = Template::Parse(
      "{% for m in messages %}{{ m.content|upper }}{{ loop.index }}{% endfor "
      "%}");
  ASSERT_TRUE(t.ok());
  const auto context = nlohmann::ordered_json::parse(
      R"({"messages": [{"content": "a"}, {"content": "b"}, {"content": "c"}]})");
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 0; i < 500; ++i) {
        auto out = t->RenderJson(context);
        if (!out.ok() || *out != "A1B2C3") ++bad[k];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int k = 0; k < 4; ++k) EXPECT_EQ(bad[k], 0);
}

}  // namespace
}  // namespace edgellm::chat::jinja
