#include "runtime/chat/output/pythonic.h"

#include "gtest/gtest.h"

namespace edgellm::chat::output::internal {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const std::optional<Json>& v) {
  return v ? v->dump() : "<none>";
}

TEST(PythonicTest, Literals) {
  EXPECT_EQ(Dump(ParsePythonLiteral("True")), "true");
  EXPECT_EQ(Dump(ParsePythonLiteral("None")), "null");
  EXPECT_EQ(Dump(ParsePythonLiteral("false")), "false");
  EXPECT_EQ(Dump(ParsePythonLiteral(" -3 ")), "-3");
  EXPECT_EQ(Dump(ParsePythonLiteral("+2.5e1")), "25.0");
  EXPECT_EQ(Dump(ParsePythonLiteral(".5")), "0.5");
  EXPECT_EQ(Dump(ParsePythonLiteral("1.")), "1.0");
  EXPECT_EQ(Dump(ParsePythonLiteral(R"('it\'s "x"\n\u00e9')")),
            R"("it's \"x\"\né")");
  EXPECT_EQ(Dump(ParsePythonLiteral("['a', (1, 2), {'k': None, 3: True},]")),
            R"(["a",[1,2],{"k":null,"3":true}])");
  EXPECT_EQ(Dump(ParsePythonLiteral("[]")), "[]");
}

TEST(PythonicTest, RejectsWhatIsNotOneLiteral) {
  for (const char* bad : {"", "Seoul", "'open", "[1, 2", "{'a' 1}", "1 2",
                          "inf", "1.2.3", "'\\ud800'", "[1,,2]", "\"\xff\""}) {
    EXPECT_FALSE(ParsePythonLiteral(bad).has_value()) << bad;
  }
}

TEST(PythonicTest, CallLists) {
  auto calls = ParsePythonCalls(
      R"([get_weather(location="Seoul", unit='celsius'), now()])");
  ASSERT_TRUE(calls.has_value());
  ASSERT_EQ(calls->size(), 2u);
  EXPECT_EQ((*calls)[0].name, "get_weather");
  EXPECT_EQ((*calls)[0].arguments.dump(),
            R"({"location":"Seoul","unit":"celsius"})");
  EXPECT_EQ((*calls)[1].name, "now");
  EXPECT_EQ((*calls)[1].arguments.dump(), "{}");

  calls = ParsePythonCalls("brave_search.call(query=\"x\")\nf(a=[1, 2],)");
  ASSERT_TRUE(calls.has_value());
  ASSERT_EQ(calls->size(), 2u);
  EXPECT_EQ((*calls)[0].name, "brave_search.call");
  EXPECT_EQ((*calls)[1].arguments.dump(), R"({"a":[1,2]})");
}

TEST(PythonicTest, RejectsWhatIsNotCalls) {
  for (const char* bad :
       {"", "[]", "[1, 2]", "f(1)", "f(a=1", "[f(a=1)", "f(a=1) trailing",
        "import math", "f(a=b)", "[f(a=1)] extra"}) {
    EXPECT_FALSE(ParsePythonCalls(bad).has_value()) << bad;
  }
}

TEST(PythonicTest, DeepNestingIsRefused) {
  std::string deep = "f(a=";
  for (int i = 0; i < 10000; ++i) deep += "[";
  EXPECT_FALSE(ParsePythonCalls(deep).has_value());
}

}  // namespace
}  // namespace edgellm::chat::output::internal
