// Chat on every architecture: the tiny random-weight models of
// ../shared/reference (llama.cpp's qwen3, gemma3, phi3, smollm3 and llama
// 3.2 presets) and a random qwen2 model, each given the chat template of a
// published model of its family as its own tokenizer.chat_template. For
// each, the engine must use that template (ModelInfo), detect the output
// format its template defines, render every shared conversation of the
// template as Python's Jinja2 did, and stream a Chat reply through the
// output parser. A model whose architecture the runtime cannot load yet is
// reported and skipped; at least one must run.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/chat/jinja/error.h"
#include "runtime/engine/edgellm.h"
#include "runtime/engine/testing/chat_cases.h"
#include "runtime/model/random_model.h"
#include "tests/testing/gguf_with_metadata.h"
#include "tests/testing/shared_dir.h"

namespace edgellm {
namespace {

struct ArchitectureCase {
  std::string model;          // under ../shared/reference/models, or "" = qwen2
  std::string arch;           // general.architecture
  std::string template_name;  // under ../shared/chat_templates
  // What the template's markup says.
  std::string tool_call_format;
  std::string reasoning_format;
};

const std::vector<ArchitectureCase>& Cases() {
  static const auto* cases = new std::vector<ArchitectureCase>{
      {"llama32-tiny-f32.gguf", "llama",
       "NousResearch-Hermes-3-Llama-3.1-8B-tool_use", "hermes", "none"},
      {"", "qwen2", "Qwen-Qwen2.5-7B-Instruct", "hermes", "none"},
      {"qwen3-tiny-f32.gguf", "qwen3", "Qwen3-Coder", "qwen3-coder", "none"},
      {"gemma3-tiny-f32.gguf", "gemma3", "google-gemma-2-2b-it", "gemma",
       "none"},
      {"phi3-tiny-f32.gguf", "phi3", "microsoft-Phi-3.5-mini-instruct",
       "generic", "none"},
      {"smollm3-tiny-f32.gguf", "smollm3", "HuggingFaceTB-SmolLM3-3B", "hermes",
       "think"},
  };
  return *cases;
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

std::string RandomQwen2() {
  const std::string path = TempPath("qwen2-random.gguf");
  model::RandomModelSpec spec;
  spec.name = "qwen2-chat";
  spec.architecture = "qwen2";
  spec.vocab_size = 1024;
  spec.embedding_length = 64;
  spec.context_length = 2048;
  EXPECT_TRUE(model::WriteRandomModel(spec, path, false).ok());
  return path;
}

TEST(ChatArchitecturesTest, EveryArchitectureChatsWithItsOwnTemplate) {
  const std::string shared = testing::SharedDirOrEmpty();
  if (shared.empty()) GTEST_SKIP() << testing::kNoSharedMessage;
  const std::vector<testing::SharedTemplate> templates =
      testing::ReadSharedTemplates(shared + "/chat_templates");
  int ran = 0;
  for (const ArchitectureCase& a : Cases()) {
    SCOPED_TRACE(a.arch);
    const std::string source_model =
        a.model.empty() ? RandomQwen2()
                        : shared + "/reference/models/" + a.model;
    const testing::SharedTemplate* tpl = nullptr;
    for (const testing::SharedTemplate& t : templates) {
      if (t.name == a.template_name) tpl = &t;
    }
    ASSERT_NE(tpl, nullptr) << a.template_name;
    const std::string model = TempPath(a.arch + "-chat.gguf");
    ASSERT_TRUE(
        testing::CopyGgufWithStrings(source_model, model,
                                     {{"tokenizer.chat_template", tpl->source}})
            .ok());
    EngineOptions options;
    options.model_path = model;
    options.threads = 1;
    options.context = 2048;
    options.embedding_slot = false;
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Load(options);
    if (!engine.ok()) {
      // Only an architecture the runtime does not know may fail to load.
      EXPECT_THAT(std::string(engine.status().message()),
                  ::testing::HasSubstr(a.arch));
      std::cout << a.arch << ": not loaded (" << engine.status().message()
                << ")\n";
      continue;
    }
    ++ran;
    const ModelInfo& info = (*engine)->info();
    EXPECT_EQ(info.architecture, a.arch);
    EXPECT_EQ(info.chat_template_source, "model");
    EXPECT_EQ(info.tool_call_format, a.tool_call_format);
    EXPECT_EQ(info.reasoning_format, a.reasoning_format);
    int cases = 0, passed = 0;
    for (const testing::ChatCase& c : tpl->cases) {
      if (!testing::Expressible(c.context)) continue;
      ++cases;
      const absl::StatusOr<std::string> got =
          (*engine)->RenderChat(testing::RequestFromContext(c.context));
      const bool match =
          c.output.has_value()
              ? got.ok() && *got == *c.output
              : !got.ok() && chat::jinja::ErrorText(got.status()) == *c.error;
      EXPECT_TRUE(match) << c.name << ": " << got.status();
      if (match) ++passed;
    }
    // A reply streams through the parser to a normal finish.
    ChatRequest request;
    request.messages.push_back({"user", "Hello!"});
    request.options.max_tokens = 8;
    request.options.sampling.temperature = 0.0f;
    absl::StatusOr<std::shared_ptr<GenerationStream>> stream =
        (*engine)->SubmitChat(request);
    ASSERT_TRUE(stream.ok()) << stream.status();
    int tokens = 0;
    absl::Status final_status;
    while (true) {
      std::optional<StreamEvent> e = (*stream)->Next(absl::Seconds(60));
      ASSERT_TRUE(e.has_value());
      if (e->final) {
        final_status = e->status;
        break;
      }
      ++tokens;
    }
    EXPECT_TRUE(final_status.ok()) << final_status;
    EXPECT_GT(tokens, 0);
    std::cout << a.arch << ": template " << a.template_name << ", tool calls "
              << info.tool_call_format << ", reasoning "
              << info.reasoning_format << ", cases " << passed << "/" << cases
              << ", reply of " << tokens << " tokens\n";
  }
  EXPECT_GT(ran, 0);
}

}  // namespace
}  // namespace edgellm
