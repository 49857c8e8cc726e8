// The engine: the public C++ API of edgellm, usable without gRPC.
//
//   auto engine = Engine::Load({.model_path = "model.gguf", .threads = 2});
//   GenerateOptions options;  options.max_tokens = 64;
//   auto result = (*engine)->Generate("Once upon a time", options,
//       [](const TokenEvent& e) { std::cout << e.text; return true; });
//
// Load maps the GGUF file, reads the config and tokenizer, binds the weights
// in place and allocates the KV cache once. Generate prefills the prompt in
// batches and decodes token by token; the callback sees complete UTF-8 text
// as it is produced and can stop the run. The decode loop allocates nothing
// per token.
//
// Embed runs a text causally on slot 0 and pools the final hidden states
// (mean, last token or first token; optionally L2-normalised), see
// embedding.h.
//
// Thread-safety: Generate and Embed are not reentrant (one sequence at a
// time, slot 0);
// the server's scheduler drives many sequences through transformer() and
// Sequence instead. Accessors are safe from any thread.
#ifndef EDGELLM_RUNTIME_ENGINE_ENGINE_H_
#define EDGELLM_RUNTIME_ENGINE_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ops/thread_pool.h"
#include "runtime/engine/embedding.h"
#include "runtime/engine/sequence.h"
#include "runtime/gguf/gguf.h"
#include "runtime/model/config.h"
#include "runtime/model/transformer.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::engine {

struct EngineOptions {
  std::string model_path;
  int32_t threads = 0;     // 0 = one per core
  int32_t context = 0;     // KV positions per sequence; 0 = model's, capped
  int32_t parallel = 1;    // sequences that can be decoded together (slots)
  int32_t max_batch = 64;  // tokens per forward pass (prompt chunk size)
  model::KvCacheType kv_type = model::KvCacheType::kF32;
};

struct GenerateResult {
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> output_ids;
  std::string text;  // generated text (prompt excluded)
  FinishReason finish_reason = FinishReason::kNone;
  SequenceStats stats;
  double prompt_tokens_per_second() const;
  double generated_tokens_per_second() const;  // first token excluded
};

class Engine {
 public:
  static absl::StatusOr<std::unique_ptr<Engine>> Load(
      const EngineOptions& options);
  ~Engine();

  // Encodes text the way the model's tokenizer does by default: BOS/EOS per
  // the metadata; special-token text is parsed only when asked.
  std::vector<int32_t> Encode(const std::string& text,
                              bool parse_special = false) const;

  absl::StatusOr<GenerateResult> Generate(const std::string& prompt,
                                          const GenerateOptions& options,
                                          TokenCallback callback);
  absl::StatusOr<GenerateResult> GenerateFromIds(
      std::vector<int32_t> prompt_ids, const GenerateOptions& options,
      TokenCallback callback);

  // One vector of config().embedding_length floats for `text` (encoded like
  // a Generate prompt). INVALID_ARGUMENT naming `text` when it is empty or
  // longer than the context.
  absl::StatusOr<std::vector<float>> Embed(const std::string& text,
                                           const EmbedOptions& options);
  // The same for token ids fed as given; errors name `ids`.
  absl::StatusOr<std::vector<float>> EmbedIds(absl::Span<const int32_t> ids,
                                              const EmbedOptions& options);
  // The pooling the model file asks for (`<arch>.pooling_type`), else mean.
  Pooling default_pooling() const { return default_pooling_; }

  // Runs `sequence` (on its slot) to the end: prefill in chunks of
  // max_batch, then one token per step.
  absl::Status RunToCompletion(Sequence& sequence);

  const model::ModelConfig& config() const { return config_; }
  const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }
  const gguf::GgufFile& file() const { return *file_; }
  model::Transformer& transformer() { return *transformer_; }
  ops::ThreadPool& pool() { return *pool_; }
  absl::Duration load_time() const { return load_time_; }
  int32_t context() const { return transformer_->context(); }

 private:
  Engine() = default;

  std::unique_ptr<gguf::GgufFile> file_;
  model::ModelConfig config_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<ops::ThreadPool> pool_;
  std::unique_ptr<model::Transformer> transformer_;
  std::vector<model::BatchToken> batch_;  // reused by RunToCompletion
  std::vector<float> logits_;             // one row
  std::unique_ptr<EmbeddingPass> embedding_;
  std::vector<float> hidden_;  // max_batch hidden rows, for Embed
  Pooling default_pooling_ = Pooling::kMean;
  absl::Duration load_time_;
};

}  // namespace edgellm::engine

#endif  // EDGELLM_RUNTIME_ENGINE_ENGINE_H_
