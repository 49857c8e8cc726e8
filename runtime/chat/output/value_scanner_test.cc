#include "runtime/chat/output/value_scanner.h"

#include <string>

#include "gtest/gtest.h"

namespace edgellm::chat::output::internal {
namespace {

using State = ValueScanner::State;
using Syntax = ValueScanner::Syntax;

// Scans `text` growing one byte at a time; returns the final state.
State ScanGrowing(Syntax syntax, const std::string& text, size_t* end) {
  ValueScanner scanner(syntax);
  State state = State::kNeedMore;
  for (size_t n = 1; n <= text.size() && state == State::kNeedMore; ++n) {
    state = scanner.Scan(std::string_view(text).substr(0, n));
  }
  *end = scanner.end();
  return state;
}

TEST(ValueScannerTest, FindsTheEndOfAJsonValue) {
  const std::string text =
      R"(  {"a": "}]\"{", "b": [1, {"c": "\\"}]} trailing)";
  for (bool growing : {false, true}) {
    size_t end = 0;
    State state;
    if (growing) {
      state = ScanGrowing(Syntax::kJson, text, &end);
    } else {
      ValueScanner scanner(Syntax::kJson);
      state = scanner.Scan(text);
      end = scanner.end();
    }
    ASSERT_EQ(state, State::kComplete);
    EXPECT_EQ(text.substr(0, end),
              R"(  {"a": "}]\"{", "b": [1, {"c": "\\"}]})");
  }
}

TEST(ValueScannerTest, NeedsMoreUntilTheValueCloses) {
  ValueScanner scanner(Syntax::kJson);
  EXPECT_EQ(scanner.Scan(""), State::kNeedMore);
  EXPECT_EQ(scanner.Scan("  "), State::kNeedMore);
  EXPECT_EQ(scanner.Scan("  [1, \"]"), State::kNeedMore);
  EXPECT_EQ(scanner.Scan("  [1, \"]\"]"), State::kComplete);
  EXPECT_EQ(scanner.end(), 10u);
}

TEST(ValueScannerTest, FailsOnAScalarOrTooDeep) {
  EXPECT_EQ(ValueScanner(Syntax::kJson).Scan("42"), State::kFailed);
  EXPECT_EQ(ValueScanner(Syntax::kJson).Scan(" \"s\""), State::kFailed);
  EXPECT_EQ(ValueScanner(Syntax::kJson).Scan("x{}"), State::kFailed);
  std::string deep(kMaxValueDepth, '[');
  EXPECT_EQ(ValueScanner(Syntax::kJson).Scan(deep), State::kNeedMore);
  deep += '[';
  EXPECT_EQ(ValueScanner(Syntax::kJson).Scan(deep), State::kFailed);
}

TEST(ValueScannerTest, PythonQuotesAndParentheses) {
  const std::string text = R"([f(a='])', b="x")] rest)";
  size_t end = 0;
  ASSERT_EQ(ScanGrowing(Syntax::kPython, text, &end), State::kComplete);
  EXPECT_EQ(text.substr(0, end), R"([f(a='])', b="x")])");
  // JSON has no single-quoted strings: the ']' inside them closes.
  ValueScanner json(Syntax::kJson);
  EXPECT_EQ(json.Scan("['])']"), State::kComplete);
  EXPECT_EQ(json.end(), 3u);
}

}  // namespace
}  // namespace edgellm::chat::output::internal
