#include "runtime/chat/output/output_parser.h"

#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/chat/output/test_outputs.h"

namespace edgellm::chat::output {

// gtest prints these in failure messages (found by argument lookup).
void PrintTo(const ToolCall& c, std::ostream* os) {
  *os << "{" << c.index << ", " << c.id << ", " << c.name << ", " << c.arguments
      << "}";
}
void PrintTo(const ParsedOutput& p, std::ostream* os) {
  *os << "content=\"" << p.content << "\" reasoning=\"" << p.reasoning
      << "\" calls=[";
  for (const ToolCall& c : p.tool_calls) PrintTo(c, os);
  *os << "]";
}

namespace {

using ::edgellm::chat::output::testing::Call;
using ::edgellm::chat::output::testing::OutputCase;
using ::edgellm::chat::output::testing::OutputCases;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

OutputParser MakeParser(const OutputCase& c) {
  absl::StatusOr<OutputParser> parser =
      OutputParser::Create(c.format, c.options);
  EXPECT_TRUE(parser.ok()) << parser.status();
  return *std::move(parser);
}

// Feeds `pieces`, then checks that the deltas add up to parsed() and that
// parsed() is the expected result.
void CheckPieces(const OutputCase& c, const std::vector<std::string>& pieces,
                 const std::string& how) {
  OutputParser parser = MakeParser(c);
  ParsedOutput from_deltas;
  auto add = [&](const OutputDelta& d) {
    from_deltas.content += d.content;
    from_deltas.reasoning += d.reasoning;
    for (const ToolCall& t : d.tool_calls) from_deltas.tool_calls.push_back(t);
  };
  for (const std::string& p : pieces) add(parser.Feed(p));
  add(parser.Finish());
  ASSERT_EQ(parser.parsed(), c.expected) << c.name << " fed " << how;
  ASSERT_EQ(from_deltas, c.expected) << c.name << " fed " << how;
}

TEST(OutputParserTest, EveryCaseWhole) {
  for (const OutputCase& c : OutputCases()) CheckPieces(c, {c.text}, "whole");
}

TEST(OutputParserTest, EveryCaseByteByByte) {
  for (const OutputCase& c : OutputCases()) {
    std::vector<std::string> bytes;
    for (char ch : c.text) bytes.emplace_back(1, ch);
    CheckPieces(c, bytes, "byte by byte");
  }
}

// Property: any split point gives the same result (markers, UTF-8
// sequences and JSON values are cut everywhere).
TEST(OutputParserTest, EveryCaseAtEverySplitPoint) {
  for (const OutputCase& c : OutputCases()) {
    for (size_t at = 0; at <= c.text.size(); ++at) {
      CheckPieces(c, {c.text.substr(0, at), c.text.substr(at)},
                  "split at " + std::to_string(at));
    }
  }
}

TEST(OutputParserTest, EveryCaseInRandomPieces) {
  std::mt19937 rng(20260726);
  for (const OutputCase& c : OutputCases()) {
    for (int round = 0; round < 50; ++round) {
      std::vector<std::string> pieces;
      std::string cuts;
      size_t pos = 0;
      while (pos < c.text.size()) {
        const size_t len = std::uniform_int_distribution<size_t>(0, 7)(rng);
        pieces.push_back(c.text.substr(pos, len));
        cuts += std::to_string(pos) + " ";
        pos += len;
      }
      CheckPieces(c, pieces, "in pieces starting at " + cuts);
    }
  }
}

TEST(OutputParserTest, CasesCoverEverySyntax) {
  std::vector<bool> tools(AllToolCallSyntaxes().size());
  std::vector<bool> reasoning(AllReasoningSyntaxes().size());
  for (const OutputCase& c : OutputCases()) {
    tools[static_cast<int>(c.format.tool_calls)] = true;
    reasoning[static_cast<int>(c.format.reasoning)] = true;
  }
  for (size_t i = 1; i < tools.size(); ++i) {
    EXPECT_TRUE(tools[i]) << ToolCallSyntaxName(AllToolCallSyntaxes()[i]);
  }
  for (size_t i = 1; i < reasoning.size(); ++i) {
    EXPECT_TRUE(reasoning[i]) << ReasoningSyntaxName(AllReasoningSyntaxes()[i]);
  }
}

OutputParser Parser(ReasoningSyntax r, ToolCallSyntax t,
                    ParseOptions options = {}) {
  absl::StatusOr<OutputParser> p = OutputParser::Create({r, t}, options);
  EXPECT_TRUE(p.ok()) << p.status();
  return *std::move(p);
}

TEST(OutputParserTest, ContentStreamsAndHoldsOnlyAMarkerPrefix) {
  OutputParser p = Parser(ReasoningSyntax::kThink, ToolCallSyntax::kHermes);
  EXPECT_EQ(p.Feed("Hello").content, "Hello");
  EXPECT_EQ(p.Feed(", wor").content, ", wor");
  EXPECT_EQ(p.Feed("ld <tool").content, "ld ");  // "<tool" may be <tool_call>
  EXPECT_EQ(p.Feed("kit> and <").content, "<toolkit> and ");
  EXPECT_EQ(p.Feed("b>").content, "<b>");
  EXPECT_EQ(p.Feed(" end\n").content, " end\n");
  EXPECT_THAT(p.Finish().content, IsEmpty());
  EXPECT_EQ(p.parsed().content, "Hello, world <toolkit> and <b> end\n");
}

TEST(OutputParserTest, ReasoningStreamsAndDropsOnlyTrailingSpace) {
  OutputParser p = Parser(ReasoningSyntax::kThink, ToolCallSyntax::kHermes);
  EXPECT_THAT(p.Feed("<thi").reasoning, IsEmpty());
  EXPECT_THAT(p.Feed("nk>\n").reasoning, IsEmpty());
  EXPECT_EQ(p.Feed("First, ").reasoning, "First,");
  EXPECT_EQ(p.Feed("the sum.\n").reasoning, " the sum.");
  EXPECT_EQ(p.Feed("Then\n</th").reasoning, "\nThen");
  const OutputDelta d = p.Feed("ink>\n\nAnswer: 4");
  EXPECT_THAT(d.reasoning, IsEmpty());
  EXPECT_EQ(d.content, "Answer: 4");
  p.Finish();
  EXPECT_EQ(p.parsed().reasoning, "First, the sum.\nThen");
}

TEST(OutputParserTest, ToolCallIsReportedWhenItsBlockCloses) {
  OutputParser p = Parser(ReasoningSyntax::kNone, ToolCallSyntax::kHermes);
  const std::string text =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
      "{\"location\": \"Seoul\"}}\n</tool_call>";
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    const OutputDelta d = p.Feed(text.substr(i, 1));
    ASSERT_TRUE(d.empty()) << "at byte " << i;
  }
  const OutputDelta d = p.Feed(text.substr(text.size() - 1));
  EXPECT_THAT(d.tool_calls, ElementsAre(Call(0, "call_0", "get_weather",
                                             R"({"location":"Seoul"})")));
  EXPECT_TRUE(p.Finish().empty());
}

TEST(OutputParserTest, ValueEndedCallIsReportedAtItsLastBracket) {
  OutputParser p = Parser(ReasoningSyntax::kNone, ToolCallSyntax::kMistral);
  EXPECT_TRUE(p.Feed("[TOOL_CALLS]get_weather[ARGS]{\"location\": ").empty());
  const OutputDelta d = p.Feed("\"Seoul\"}");
  EXPECT_THAT(d.tool_calls, ElementsAre(Call(0, "call00000", "get_weather",
                                             R"({"location":"Seoul"})")));
}

TEST(OutputParserTest, DeltasEndOnCharacterBoundaries) {
  OutputParser p = Parser(ReasoningSyntax::kNone, ToolCallSyntax::kNone);
  const std::string seoul = "서울";  // 6 bytes
  EXPECT_THAT(p.Feed(seoul.substr(0, 1)).content, IsEmpty());
  EXPECT_THAT(p.Feed(seoul.substr(1, 1)).content, IsEmpty());
  EXPECT_EQ(p.Feed(seoul.substr(2, 2)).content, "서");
  EXPECT_EQ(p.Feed(seoul.substr(4)).content, "울");
}

TEST(OutputParserTest, InvalidBytesAreKeptNotHeld) {
  OutputParser p = Parser(ReasoningSyntax::kNone, ToolCallSyntax::kNone);
  EXPECT_EQ(p.Feed("a\xff"
                   "b")
                .content,
            "a\xff"
            "b");
  EXPECT_THAT(p.Feed("\xe3\x81").content, IsEmpty());  // could still complete
  EXPECT_EQ(p.Finish().content, "\xe3\x81");           // never dropped
}

TEST(OutputParserTest, FinishIsFinal) {
  OutputParser p = Parser(ReasoningSyntax::kNone, ToolCallSyntax::kHermes);
  p.Feed("Hi");
  p.Finish();
  EXPECT_TRUE(p.Feed("more").empty());
  EXPECT_TRUE(p.Finish().empty());
  EXPECT_EQ(p.parsed().content, "Hi");
}

TEST(OutputParserTest, IdPrefixIsUsed) {
  ParseOptions options;
  options.id_prefix = "req7_call_";
  absl::StatusOr<ParsedOutput> out = ParseOutput(
      "<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call>"
      "<tool_call>{\"name\": \"b\", \"arguments\": {}}</tool_call>",
      {ReasoningSyntax::kNone, ToolCallSyntax::kHermes}, options);
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(out->tool_calls, ElementsAre(Call(0, "req7_call_0", "a", "{}"),
                                           Call(1, "req7_call_1", "b", "{}")));
}

TEST(OutputParserTest, CreateRejectsBadInput) {
  ParseOptions bad_tools;
  bad_tools.tools_json = "{\"not\": \"an array\"}";
  EXPECT_FALSE(OutputParser::Create({}, bad_tools).ok());
  bad_tools.tools_json = "[{";
  EXPECT_FALSE(OutputParser::Create({}, bad_tools).ok());
  EXPECT_FALSE(OutputParser::Create(
                   {ReasoningSyntax::kNone, static_cast<ToolCallSyntax>(1000)})
                   .ok());
  EXPECT_FALSE(OutputParser::Create(
                   {static_cast<ReasoningSyntax>(-1), ToolCallSyntax::kHermes})
                   .ok());
}

TEST(OutputParserTest, DeepNestingIsTextNotACrash) {
  std::string deep = "<tool_call>{\"name\": \"f\", \"arguments\": ";
  for (int i = 0; i < 100000; ++i) deep += "[";
  for (int i = 0; i < 100000; ++i) deep += "]";
  deep += "}</tool_call>";
  absl::StatusOr<ParsedOutput> out =
      ParseOutput(deep, {ReasoningSyntax::kNone, ToolCallSyntax::kHermes});
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(out->tool_calls, IsEmpty());
  EXPECT_EQ(out->content, deep);

  std::string bare = "{\"name\": \"f\", \"parameters\": ";
  for (int i = 0; i < 100000; ++i) bare += "{\"a\":";
  out = ParseOutput(bare, {ReasoningSyntax::kNone, ToolCallSyntax::kLlama3});
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(out->tool_calls, IsEmpty());
  EXPECT_EQ(out->content, bare);
}

// A million bytes fed in 4-byte pieces, in each state the engine can be in:
// each Feed must only look at what is new (a quadratic rescan of what is
// held would take minutes).
TEST(OutputParserTest, LongOutputsStreamInLinearTime) {
  struct Flood {
    ReasoningSyntax r;
    ToolCallSyntax t;
    std::string opener;
    std::string chunk;
    size_t output_bytes;  // content + reasoning + arguments at the end
  };
  constexpr size_t kMb = 1000000;
  const Flood floods[] = {
      {ReasoningSyntax::kThink, ToolCallSyntax::kHermes, "", "abc<", kMb},
      {ReasoningSyntax::kThink, ToolCallSyntax::kHermes, "<think>", "a   ",
       kMb - 3},
      // Trailing whitespace of an unterminated reasoning block is dropped.
      {ReasoningSyntax::kThink, ToolCallSyntax::kHermes, "<think>x", "    ", 1},
      {ReasoningSyntax::kNone, ToolCallSyntax::kHermes, "<tool_call>", "  <",
       11 + 750000},
      {ReasoningSyntax::kNone, ToolCallSyntax::kLlama3, "{", "    ", 1 + kMb},
      {ReasoningSyntax::kNone, ToolCallSyntax::kLlama3, "{\"name", "aaaa",
       6 + kMb},
      {ReasoningSyntax::kNone, ToolCallSyntax::kLlama3, "<|python_tag|>",
       "    ", 14 + kMb},
      // Python source after <|python_tag|> is one call to "python".
      {ReasoningSyntax::kNone, ToolCallSyntax::kLlama3, "<|python_tag|>x",
       "  <|", 12 + kMb},
      {ReasoningSyntax::kNone, ToolCallSyntax::kMistral, "[TOOL_CALLS]", "    ",
       12 + kMb},
      {ReasoningSyntax::kNone, ToolCallSyntax::kGemma, "[", "    ", 1 + kMb},
      {ReasoningSyntax::kNone, ToolCallSyntax::kPhi4Mini, "<|tool_call|>[",
       "[]  ", 14 + kMb},
  };
  for (const Flood& f : floods) {
    OutputParser p = Parser(f.r, f.t);
    p.Feed(f.opener);
    for (int i = 0; i < 250000; ++i) p.Feed(f.chunk);
    p.Finish();
    const ParsedOutput& out = p.parsed();
    size_t bytes = out.content.size() + out.reasoning.size();
    for (const ToolCall& c : out.tool_calls) bytes += c.arguments.size();
    EXPECT_EQ(bytes, f.output_bytes) << f.opener;
  }
}

}  // namespace
}  // namespace edgellm::chat::output
