#include <string>

#include "gtest/gtest.h"
#include "runtime/chat/output/output_parser.h"

namespace edgellm::chat::output {
namespace {

TEST(FormatTest, NamesRoundTrip) {
  for (ToolCallSyntax s : AllToolCallSyntaxes()) {
    const absl::StatusOr<ToolCallSyntax> back =
        ToolCallSyntaxFromName(ToolCallSyntaxName(s));
    ASSERT_TRUE(back.ok()) << ToolCallSyntaxName(s);
    EXPECT_EQ(*back, s);
  }
  for (ReasoningSyntax s : AllReasoningSyntaxes()) {
    const absl::StatusOr<ReasoningSyntax> back =
        ReasoningSyntaxFromName(ReasoningSyntaxName(s));
    ASSERT_TRUE(back.ok()) << ReasoningSyntaxName(s);
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(AllToolCallSyntaxes().size(),
            static_cast<size_t>(ToolCallSyntax::kHarmony) + 1);
  EXPECT_EQ(AllReasoningSyntaxes().size(),
            static_cast<size_t>(ReasoningSyntax::kApriel) + 1);
}

TEST(FormatTest, UnknownNameListsTheKnownOnes) {
  const absl::StatusOr<ToolCallSyntax> s = ToolCallSyntaxFromName("hermes3");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("\"hermes3\""), std::string::npos);
  EXPECT_NE(s.status().message().find("qwen3-coder"), std::string::npos);
  EXPECT_FALSE(ReasoningSyntaxFromName("").ok());
}

OutputFormat Detect(std::string_view tmpl) {
  return DetectOutputFormat({.template_source = tmpl});
}

TEST(FormatTest, DetectsFromTheTemplate) {
  struct Row {
    const char* snippet;
    ToolCallSyntax tools;
    ReasoningSyntax reasoning;
  };
  const Row rows[] = {
      {"{{- '<tool_call>\\n' }}{{ tool_call | tojson }}",
       ToolCallSyntax::kHermes, ReasoningSyntax::kNone},
      {"<think>\\n' }}<tool_call>", ToolCallSyntax::kHermes,
       ReasoningSyntax::kThink},
      {"<tool_call>\\n<function=' + name", ToolCallSyntax::kQwen3Coder,
       ReasoningSyntax::kNone},
      {"<tool_call>{{ name }}<arg_key>", ToolCallSyntax::kGlm,
       ReasoningSyntax::kNone},
      {"[TOOL_CALLS]' + name + '[ARGS]", ToolCallSyntax::kMistral,
       ReasoningSyntax::kNone},
      {"[THINK]{{ thinking }}[/THINK][TOOL_CALLS]", ToolCallSyntax::kMistral,
       ReasoningSyntax::kMistralThink},
      {"<|start_header_id|>ipython<|end_header_id|>", ToolCallSyntax::kLlama3,
       ReasoningSyntax::kNone},
      {"{{- '<|python_tag|>' + tool_call.name }}", ToolCallSyntax::kLlama3,
       ReasoningSyntax::kNone},
      {"<|system|>{{ content }}<|tool|>{{ tools }}<|/tool|><|end|>",
       ToolCallSyntax::kPhi4Mini, ReasoningSyntax::kNone},
      {"<start_of_turn>model\\n", ToolCallSyntax::kGemma,
       ReasoningSyntax::kNone},
      {"```tool_code\\n", ToolCallSyntax::kGemma, ReasoningSyntax::kNone},
      {"<|END_THINKING|><|START_ACTION|>", ToolCallSyntax::kCommandR,
       ReasoningSyntax::kNone},
      {"<|START_THINKING|><|START_ACTION|>", ToolCallSyntax::kCommandR,
       ReasoningSyntax::kCommandR},
      {"<｜tool▁calls▁begin｜><think>", ToolCallSyntax::kDeepSeek,
       ReasoningSyntax::kThink},
      {"<｜DSML｜tool_calls><｜tool▁calls▁begin｜>",
       ToolCallSyntax::kDeepSeekDsml, ReasoningSyntax::kNone},
      {"<seed:think><seed:tool_call>", ToolCallSyntax::kSeedOss,
       ReasoningSyntax::kSeedThink},
      {"<|channel|>analysis<|message|>", ToolCallSyntax::kHarmony,
       ReasoningSyntax::kHarmony},
      {"[BEGIN FINAL RESPONSE]<tool_calls>", ToolCallSyntax::kApriel,
       ReasoningSyntax::kApriel},
      {"<|im_start|>{{ role }}\\n{{ content }}<|im_end|>",
       ToolCallSyntax::kGeneric, ReasoningSyntax::kNone},
      {"", ToolCallSyntax::kGeneric, ReasoningSyntax::kNone},
  };
  for (const Row& r : rows) {
    const OutputFormat f = Detect(r.snippet);
    EXPECT_EQ(ToolCallSyntaxName(f.tool_calls), ToolCallSyntaxName(r.tools))
        << r.snippet;
    EXPECT_EQ(ReasoningSyntaxName(f.reasoning),
              ReasoningSyntaxName(r.reasoning))
        << r.snippet;
  }
}

TEST(FormatTest, SpecialTokensAndArchitectureDecideWhenTheTemplateIsSilent) {
  FormatHints hints;
  hints.template_source = "{{ messages }}";
  hints.special_tokens = {"<s>", "[TOOL_CALLS]", "[THINK]"};
  OutputFormat f = DetectOutputFormat(hints);
  EXPECT_EQ(f.tool_calls, ToolCallSyntax::kMistral);
  EXPECT_EQ(f.reasoning, ReasoningSyntax::kMistralThink);

  hints.special_tokens = {"<think>", "</think>", "<tool_call>"};
  f = DetectOutputFormat(hints);
  EXPECT_EQ(f.tool_calls, ToolCallSyntax::kHermes);
  EXPECT_EQ(f.reasoning, ReasoningSyntax::kThink);

  hints.special_tokens = {};
  hints.architecture = "gemma3";
  EXPECT_EQ(DetectOutputFormat(hints).tool_calls, ToolCallSyntax::kGemma);
  hints.architecture = "smollm3";
  EXPECT_EQ(DetectOutputFormat(hints).tool_calls, ToolCallSyntax::kHermes);
  hints.architecture = "phi3";
  EXPECT_EQ(DetectOutputFormat(hints).tool_calls, ToolCallSyntax::kGeneric);

  // The template wins over the tokens.
  hints.template_source = "<tool_call>";
  hints.special_tokens = {"[TOOL_CALLS]"};
  EXPECT_EQ(DetectOutputFormat(hints).tool_calls, ToolCallSyntax::kHermes);
}

TEST(FormatTest, PromptOpensReasoning) {
  EXPECT_TRUE(PromptOpensReasoning("<|im_start|>assistant\n<think>\n",
                                   ReasoningSyntax::kThink));
  EXPECT_TRUE(
      PromptOpensReasoning("<｜Assistant｜><think>", ReasoningSyntax::kThink));
  // Qwen3 with enable_thinking=false closes the block in the prompt.
  EXPECT_FALSE(
      PromptOpensReasoning("<|im_start|>assistant\n<think>\n\n</think>\n\n",
                           ReasoningSyntax::kThink));
  EXPECT_FALSE(
      PromptOpensReasoning("<|im_start|>assistant\n", ReasoningSyntax::kThink));
  EXPECT_TRUE(PromptOpensReasoning("<|CHATBOT_TOKEN|><|START_THINKING|>",
                                   ReasoningSyntax::kCommandR));
  EXPECT_FALSE(PromptOpensReasoning("<think>", ReasoningSyntax::kNone));
  EXPECT_TRUE(PromptOpensReasoning("", ReasoningSyntax::kApriel));
}

}  // namespace
}  // namespace edgellm::chat::output
