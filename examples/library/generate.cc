// Embedding edgellm in an application: load a model, stream two
// generations at once from two threads, embed a text. Everything comes from
// the one public header.
//
//   bazel run //examples/library:generate -- MODEL.gguf "Once upon a time"
#include <cstdio>
#include <string>
#include <thread>

#include "runtime/engine/edgellm.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: generate MODEL.gguf PROMPT\n");
    return 2;
  }
  edgellm::EngineOptions options;
  options.model_path = argv[1];
  options.parallel = 2;  // two generations share every forward pass
  absl::StatusOr<std::unique_ptr<edgellm::Engine>> engine =
      edgellm::Engine::Load(options);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(engine.status().message()).c_str());
    return 1;
  }

  // A second request, read on its own thread from its stream.
  edgellm::GenerateRequest background;
  background.prompt = "The weather today";
  background.options.max_tokens = 24;
  absl::StatusOr<std::shared_ptr<edgellm::GenerationStream>> stream =
      (*engine)->Submit(std::move(background));
  if (!stream.ok()) return 1;
  std::string background_text;
  std::thread reader([&] {
    while (auto event = (*stream)->Next(absl::Seconds(60))) {
      if (event->final) break;
      background_text += event->text;
    }
  });

  // The main request, with a callback per token.
  edgellm::GenerateRequest request;
  request.prompt = argv[2];
  request.options.max_tokens = 32;
  request.options.sampling.temperature = 0;  // greedy
  absl::StatusOr<edgellm::GenerateResult> result =
      (*engine)->Generate(std::move(request), [](const edgellm::TokenEvent& e) {
        std::fwrite(e.text.data(), 1, e.text.size(), stdout);
        return true;  // false would stop the generation
      });
  reader.join();
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(result.status().message()).c_str());
    return 1;
  }
  std::printf(
      "\n[%s, %d tokens, %.1f tok/s]\nbackground: %s\n",
      std::string(edgellm::FinishReasonName(result->finish_reason)).c_str(),
      result->stats.generated_tokens, result->stats.tokens_per_second(),
      background_text.c_str());

  edgellm::EmbedRequest embed;
  embed.texts = {"a red ball"};
  embed.options.normalize = true;
  absl::StatusOr<edgellm::EmbedResult> vectors = (*engine)->Embed(embed);
  if (!vectors.ok()) return 1;
  std::printf("embedding: %zu floats, first %.4f\n", vectors->vectors[0].size(),
              vectors->vectors[0][0]);
  return 0;
}
