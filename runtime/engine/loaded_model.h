// A model loaded and ready to run: the mapped GGUF file, its config and
// tokenizer, the thread pool and the transformer with its KV slots. Internal
// to the engine: applications use the Engine of runtime/engine/edgellm.h,
// which runs many requests over a LoadedModel through the scheduler.
//
// Load maps the GGUF file, reads the config and tokenizer, binds the weights
// in place and allocates the KV cache once. Generate runs one sequence on
// slot 0 on the calling thread: it prefills the prompt in batches and
// decodes token by token; the callback sees complete UTF-8 text as it is
// produced and can stop the run. The decode loop allocates nothing per
// token. It serves the single-stream tools (bench) and tests.
//
// Embed runs a text causally on slot 0 and pools the final hidden states
// (mean, last token or first token; optionally L2-normalised), see
// embedding.h.
//
// Thread-safety: Generate and Embed are not reentrant (one sequence at a
// time, slot 0) and must not run while a scheduler drives transformer().
// Accessors are safe from any thread.
#ifndef EDGELLM_RUNTIME_ENGINE_LOADED_MODEL_H_
#define EDGELLM_RUNTIME_ENGINE_LOADED_MODEL_H_

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

struct LoadOptions {
  std::string model_path;
  int32_t threads = 0;     // 0 = one per core
  int32_t context = 0;     // KV positions per sequence; 0 = model's, capped
  int32_t slots = 1;       // KV slots: sequences that can run together
  int32_t max_batch = 64;  // tokens per forward pass (prompt chunk size)
  model::KvCacheType kv_type = model::KvCacheType::kF32;
  model::KvPaging paging;  // block_size 0: a slab per slot
};

struct SequenceResult {
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> output_ids;
  std::string text;  // generated text (prompt excluded)
  FinishReason finish_reason = FinishReason::kNone;
  SequenceStats stats;
  double prompt_tokens_per_second() const;
  double generated_tokens_per_second() const;  // first token excluded
};

class LoadedModel {
 public:
  static absl::StatusOr<std::unique_ptr<LoadedModel>> Load(
      const LoadOptions& options);
  ~LoadedModel();

  // Encodes text the way the model's tokenizer does by default: BOS/EOS per
  // the metadata; special-token text is parsed only when asked.
  std::vector<int32_t> Encode(const std::string& text,
                              bool parse_special = false) const;

  absl::StatusOr<SequenceResult> Generate(const std::string& prompt,
                                          const GenerateOptions& options,
                                          TokenCallback callback);
  absl::StatusOr<SequenceResult> GenerateFromIds(
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
  LoadedModel() = default;

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

#endif  // EDGELLM_RUNTIME_ENGINE_LOADED_MODEL_H_
