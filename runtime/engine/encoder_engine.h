// Embeddings and reranking with an encoder-only model (bert, nomic-bert):
// load the file, tokenize as llama.cpp does for these models, lay out rerank
// pairs, and run batches of texts through model::Encoder.
//
//   auto engine = EncoderEngine::Load({.model_path = "bge-small.gguf"});
//   auto vectors = (*engine)->Embed({"a red ball", "a blue car"},
//                                   {.normalize = true});
//   auto scores = (*engine)->Rerank("what is red?", {"a red ball", "a car"});
//
// Every call takes a whole batch: its texts run packed, many per forward
// pass (model::Encoder::Encode), which is what a scheduler hands over for
// the Embed/Rerank requests it has queued.
//
// Thread-safety: Embed*/Rerank* are not reentrant (one batch at a time);
// tokenization and accessors are const and safe from any thread.
#ifndef EDGELLM_RUNTIME_ENGINE_ENCODER_ENGINE_H_
#define EDGELLM_RUNTIME_ENGINE_ENCODER_ENGINE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ops/thread_pool.h"
#include "runtime/gguf/gguf.h"
#include "runtime/model/encoder.h"
#include "runtime/model/encoder_config.h"
#include "runtime/model/encoder_weights.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::engine {

struct EncoderEngineOptions {
  std::string model_path;
  int32_t threads = 0;        // 0 = one per core
  int32_t max_tokens = 1024;  // tokens per forward pass (all its texts)
};

struct EncoderEmbedOptions {
  // Unset: the file's pooling (`<arch>.pooling_type`); mean when the file
  // has none. kRank gives the classifier's scores.
  std::optional<model::EncoderPooling> pooling;
  bool normalize = false;  // unit L2 norm (not for kRank)
};

struct EncoderEmbedResult {
  std::vector<std::vector<int32_t>> token_ids;  // per text
  std::vector<std::vector<float>> embeddings;   // per text
};

class EncoderEngine {
 public:
  static absl::StatusOr<std::unique_ptr<EncoderEngine>> Load(
      const EncoderEngineOptions& options);
  ~EncoderEngine();

  // [CLS] text [SEP] (the vocabulary's CLS/SEP ids), special-token text such
  // as "[SEP]" recognised: llama_tokenize(add_special, parse_special) as
  // llama.cpp's llama-embedding calls it.
  std::vector<int32_t> TokenizeForEmbedding(std::string_view text) const;

  // The cross-encoder input of one pair, as llama.cpp's server builds it
  // (format_prompt_rerank): the file's `tokenizer.chat_template.rerank` with
  // {query} and {document} substituted (special text parsed) when it has
  // one; else [BOS] query [EOS] [SEP] document [EOS], each special present
  // as add_bos / add_eos / add_sep say (EOS falls back to SEP), the texts'
  // own special-token text not parsed. For bge-style vocabularies that is
  // [CLS] query [SEP] document [SEP].
  std::vector<int32_t> TokenizeRerankPair(std::string_view query,
                                          std::string_view document) const;

  // One vector (or, for kRank, the classifier outputs) per text, in order.
  // An empty text is [CLS] [SEP]. INVALID_ARGUMENT naming "texts[i]" when a
  // text has more tokens than max_sequence_tokens().
  absl::StatusOr<EncoderEmbedResult> Embed(absl::Span<const std::string> texts,
                                           const EncoderEmbedOptions& options);
  // The same for token ids fed as given; errors name "ids[i]".
  absl::StatusOr<std::vector<std::vector<float>>> EmbedIds(
      absl::Span<const std::vector<int32_t>> ids,
      const EncoderEmbedOptions& options);

  // One relevance score per document, in input order: the classifier's
  // first output (a raw logit, no sigmoid) over TokenizeRerankPair(query,
  // document). UNIMPLEMENTED when the model has no classifier head;
  // INVALID_ARGUMENT naming "query", "documents" or "documents[i]" for an
  // empty query, no documents, an empty document or a pair longer than
  // max_sequence_tokens().
  absl::StatusOr<std::vector<float>> Rerank(
      std::string_view query, absl::Span<const std::string> documents);
  // Scores for prepared sequences (TokenizeRerankPair or any ids).
  absl::StatusOr<std::vector<float>> RerankIds(
      absl::Span<const std::vector<int32_t>> ids);

  // The file's pooling, mean when it has none.
  model::EncoderPooling default_pooling() const;
  bool can_rank() const { return encoder_->can_rank(); }
  int32_t dimensions(model::EncoderPooling pooling) const {
    return encoder_->OutputSize(pooling);
  }
  int32_t max_sequence_tokens() const {
    return encoder_->max_sequence_tokens();
  }
  const model::EncoderConfig& config() const { return config_; }
  const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }
  const gguf::GgufFile& file() const { return *file_; }
  model::Encoder& encoder() { return *encoder_; }

 private:
  EncoderEngine() = default;
  absl::StatusOr<std::vector<std::vector<float>>> Run(
      absl::Span<const std::vector<int32_t>> ids, model::EncoderPooling pooling,
      bool normalize, const std::string& field);

  std::unique_ptr<gguf::GgufFile> file_;
  model::EncoderConfig config_;
  model::EncoderWeights weights_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<ops::ThreadPool> pool_;
  std::unique_ptr<model::Encoder> encoder_;
  std::string rerank_template_;  // tokenizer.chat_template.rerank, or ""
};

}  // namespace edgellm::engine

#endif  // EDGELLM_RUNTIME_ENGINE_ENCODER_ENGINE_H_
