#include "runtime/chat/output/call_body.h"

#include <string>

#include "gtest/gtest.h"
#include "runtime/chat/output/format_spec.h"

namespace edgellm::chat::output::internal {
namespace {

// "name(args)#id; ..." for every call, or "<none>".
std::string Parse(BodyKind kind, std::string_view body,
                  std::string_view prefix = "",
                  std::string_view tools_json = "", bool bare = false) {
  BlockSpec block;
  block.body = kind;
  block.invoke_prefix = prefix;
  const absl::StatusOr<ToolSchemas> schemas = ToolSchemas::FromJson(tools_json);
  EXPECT_TRUE(schemas.ok());
  const std::optional<BodyResult> r =
      ParseBody(block, body, *schemas, bare, /*allow_response=*/false);
  if (!r) return "<none>";
  std::string out;
  for (const RawCall& c : r->calls) {
    out += c.name + c.arguments.dump() + (c.id.empty() ? "" : "#" + c.id);
    out += "; ";
  }
  return out;
}

TEST(CallBodyTest, JsonCallShapes) {
  EXPECT_EQ(Parse(BodyKind::kJsonCalls,
                  R"({"type": "function", "function": {"name": "f",
                      "arguments": "{\"a\": 1}"}, "id": "c1"})"),
            R"(f{"a":1}#c1; )");
  EXPECT_EQ(Parse(BodyKind::kJsonCalls,
                  R"([{"name": "f", "arguments": {}}, {"name": "g"}])"),
            "f{}; g{}; ");
  EXPECT_EQ(Parse(BodyKind::kJsonCalls,
                  R"({"name": "f", "arguments": null, "tool_call_id": 7})"),
            "f{}#7; ");
  EXPECT_EQ(Parse(BodyKind::kJsonCalls,
                  "{\"name\": \"f\"},\n{\"name\": "
                  "\"g\"};"),
            "f{}; g{}; ");
  // Bare values must name their arguments.
  EXPECT_EQ(Parse(BodyKind::kJsonCalls, R"({"name": "f"})", "", "", true),
            "<none>");
}

TEST(CallBodyTest, JsonThatIsNotACall) {
  for (const char* bad : {"", "[]", "42", R"({"name": 3})", R"({"name": ""})",
                          R"({"name": "has space", "arguments": {}})",
                          R"({"name": "f", "arguments": "not json"})",
                          R"({"name": "f", "arguments": 1})",
                          R"([{"name": "f"}, 3])", R"({"name": "f"} trailing)",
                          R"({"tool_calls": {}})", "{\"name\": \"f\xff\"}"}) {
    EXPECT_EQ(Parse(BodyKind::kJsonCalls, bad), "<none>") << bad;
  }
}

TEST(CallBodyTest, XmlFunctions) {
  EXPECT_EQ(Parse(BodyKind::kXmlFunctions,
                  "<function=f>\n<parameter=a>\nline 1\nline 2\n</parameter>"
                  "\n</function>\n<function=g>\n</function>"),
            R"(f{"a":"line 1\nline 2"}; g{}; )");
  // A missing </function> at the end is forgiven; a missing </parameter>
  // is not.
  EXPECT_EQ(Parse(BodyKind::kXmlFunctions,
                  "<function=f><parameter=a>1"
                  "</parameter>"),
            R"(f{"a":1}; )");
  EXPECT_EQ(Parse(BodyKind::kXmlFunctions, "<function=f><parameter=a>1"),
            "<none>");
  EXPECT_EQ(Parse(BodyKind::kXmlFunctions, "text <function=f></function>"),
            "<none>");
}

TEST(CallBodyTest, ToolCallTagPicksTheForm) {
  EXPECT_EQ(Parse(BodyKind::kToolCallTag, R"( {"name": "f", "arguments": {}})"),
            "f{}; ");
  EXPECT_EQ(Parse(BodyKind::kToolCallTag,
                  "\n<function=f>\n<parameter=x>\n2\n</parameter>\n"
                  "</function>\n"),
            R"(f{"x":2}; )");
  EXPECT_EQ(Parse(BodyKind::kToolCallTag,
                  "f\n<arg_key>x</arg_key>\n<arg_value>[1, 2]</arg_value>\n"
                  "<arg_key>y</arg_key><arg_value>hi</arg_value>"),
            R"(f{"x":[1,2],"y":"hi"}; )");
  EXPECT_EQ(Parse(BodyKind::kToolCallTag, "get_time"), "get_time{}; ");
  EXPECT_EQ(Parse(BodyKind::kToolCallTag, "not a call at all"), "<none>");
  EXPECT_EQ(Parse(BodyKind::kToolCallTag, "f<arg_key>x</arg_key>"), "<none>");
}

TEST(CallBodyTest, ParameterTypesComeFromTheTools) {
  const char* tools =
      R"([{"type": "function", "function": {"name": "f", "parameters": {
          "properties": {"s": {"type": "string"},
                         "n": {"type": ["integer", "null"]},
                         "o": {"type": ["string", "null"]}}}}}])";
  EXPECT_EQ(Parse(BodyKind::kXmlFunctions,
                  "<function=f><parameter=s>007</parameter><parameter=n>007"
                  "</parameter><parameter=o>true</parameter></function>",
                  "", tools),
            // "007" is not a JSON number (leading zeros), so n stays text.
            R"(f{"s":"007","n":"007","o":"true"}; )");
  EXPECT_EQ(
      Parse(BodyKind::kXmlFunctions,
            "<function=f><parameter=n>7</parameter></function>", "", tools),
      R"(f{"n":7}; )");
}

TEST(CallBodyTest, Invokes) {
  EXPECT_EQ(Parse(BodyKind::kInvokes,
                  "<invoke name=\"f\">\n<parameter name=\"a\">x y</parameter>"
                  "\n<parameter name=\"b\">{\"k\": 1}</parameter>\n</invoke>"),
            R"(f{"a":"x y","b":{"k":1}}; )");
  EXPECT_EQ(Parse(BodyKind::kInvokes,
                  "<｜DSML｜invoke name=\"f\"><｜DSML｜parameter name=\"a\" "
                  "string=\"true\">3</｜DSML｜parameter><｜DSML｜parameter "
                  "name=\"b\" string=\"false\">3</｜DSML｜parameter>"
                  "</｜DSML｜invoke>",
                  "｜DSML｜"),
            R"(f{"a":"3","b":3}; )");
  EXPECT_EQ(Parse(BodyKind::kInvokes, "<invoke name=f></invoke>"), "<none>");
  EXPECT_EQ(Parse(BodyKind::kInvokes, "<invoke name=\"f\">"), "<none>");
}

TEST(CallBodyTest, MarkerSeparatedForms) {
  EXPECT_EQ(Parse(BodyKind::kDeepSeek, "f<｜tool▁sep｜>{\"a\": 1}"),
            R"(f{"a":1}; )");
  EXPECT_EQ(Parse(BodyKind::kDeepSeek,
                  "function<｜tool▁sep｜>f\n```json\n{\"a\": 1}\n```"),
            R"(f{"a":1}; )");
  EXPECT_EQ(Parse(BodyKind::kDeepSeek, "f{\"a\": 1}"), "<none>");
  EXPECT_EQ(Parse(BodyKind::kKimi,
                  "functions.get_weather:12<|tool_call_argument_begin|>{}"),
            "get_weather{}#functions.get_weather:12; ");
  EXPECT_EQ(Parse(BodyKind::kKimi,
                  "get_weather<|tool_call_argument_begin|>"
                  "{\"a\": 1}"),
            R"(get_weather{"a":1}#get_weather; )");
  EXPECT_EQ(Parse(BodyKind::kSolar,
                  "c1<|tool_call:name|>f<|tool_call:args|>"
                  "{}"),
            "f{}#c1; ");
  EXPECT_EQ(Parse(BodyKind::kHarmony,
                  "f<|channel|>commentary json<|message|>{\"a\": 1}"),
            R"(f{"a":1}; )");
  EXPECT_EQ(Parse(BodyKind::kHarmony, "f {\"a\": 1}"), "<none>");
  EXPECT_EQ(Parse(BodyKind::kMistral, "f[CALL_ID]abc123XYZ[ARGS]{}"),
            "f{}#abc123XYZ; ");
  EXPECT_EQ(Parse(BodyKind::kMistral, "f[ARGS]not json"), "<none>");
}

TEST(CallBodyTest, PythonForms) {
  EXPECT_EQ(Parse(BodyKind::kCallsOrJson, "\n[f(a=1), g(b='x')]\n"),
            R"(f{"a":1}; g{"b":"x"}; )");
  EXPECT_EQ(Parse(BodyKind::kCallsOrJson, R"([{"name": "f"}])"), "f{}; ");
  EXPECT_EQ(Parse(BodyKind::kCallsOrJson, "print('hi')\nx = 1"), "<none>");
  EXPECT_EQ(Parse(BodyKind::kPythonTag, "wolfram_alpha.call(query=\"2+2\")"),
            R"(wolfram_alpha{"query":"2+2"}; )");
  EXPECT_EQ(Parse(BodyKind::kPythonTag, "x = 1"),
            R"(python{"code":"x = 1"}; )");
  EXPECT_EQ(Parse(BodyKind::kPythonTag, "  "), "<none>");
}

}  // namespace
}  // namespace edgellm::chat::output::internal
