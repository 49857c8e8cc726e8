// Embeddings from a decoder-only model: token ids -> one pooled vector.
//
// The text is run through the model causally on one KV slot, as llama.cpp
// does for decoder-only embedding models (llama_context with
// `embeddings = true`), and the final-RMSNormed hidden states (the output
// head's input, Transformer::ForwardHidden) are pooled:
//   kMean       average over every token of the text;
//   kLastToken  the last token's state, which under causal attention is the
//               only one that has seen the whole text (E5-Mistral, Qwen3-
//               Embedding, GritLM use it);
//   kCls        the first token's state (BERT's [CLS] position). Causal
//               attention makes it depend on the first token only, so only
//               that token is run.
// Optionally the vector is scaled to unit L2 norm (cosine similarity becomes
// a dot product).
//
// EmbeddingPass does one text in chunks of at most max_batch tokens, so the
// server's scheduler can interleave the chunks with decode steps; the
// engine's Embed simply runs the chunks back to back.
//
// Threading: an EmbeddingPass is used by one thread. No allocation after
// construction except the result vector.
#ifndef EDGELLM_RUNTIME_ENGINE_EMBEDDING_H_
#define EDGELLM_RUNTIME_ENGINE_EMBEDDING_H_

#include <climits>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "runtime/engine/edgellm.h"
#include "runtime/model/transformer.h"

namespace edgellm::engine {

// The embedding request types are part of the public API
// (runtime/engine/edgellm.h). Pooling::kDefault must be resolved (to the
// model's pooling) before a pass starts; a pass treats it as kMean.
using ::edgellm::EmbedOptions;
using ::edgellm::Pooling;
using ::edgellm::PoolingName;

// The pooling a GGUF file asks for in `<arch>.pooling_type` (llama.cpp's
// enum llama_pooling_type: 1 MEAN, 2 CLS, 3 LAST); kMean when absent or
// not one of these (NONE and RANK have no single-vector meaning here).
Pooling PoolingFromGgufValue(int64_t value);

// Checks token ids for an embedding pass: non-empty, each in [0, vocab_size),
// at most `context` of them. INVALID_ARGUMENT whose message starts with
// `field` ("text", "texts[2]").
absl::Status ValidateEmbedIds(absl::Span<const int32_t> ids, int32_t vocab_size,
                              int32_t context, absl::string_view field);

// Checks the texts of one embedding request, as token ids: at least one,
// at most RequestLimits::kMaxEmbedTexts, each valid for ValidateEmbedIds,
// at most RequestLimits::kMaxEmbedTokens in all. INVALID_ARGUMENT naming
// `field` ("texts") or `field[i]` ("texts[2]").
absl::Status ValidateEmbedRequest(
    const std::vector<std::vector<int32_t>>& texts, int32_t vocab_size,
    int32_t context, absl::string_view field);

// Scales `v` to unit L2 norm (left as is when the norm is 0).
void L2Normalize(absl::Span<float> v);

class EmbeddingPass {
 public:
  // `hidden_size` is the model's embedding_length.
  EmbeddingPass(int32_t hidden_size, int32_t max_batch);

  // Starts a pass over `ids` (validated with ValidateEmbedIds; the span
  // must stay valid until done()) on KV `slot`. Any previous pass is
  // dropped. `cached`: leading ids whose KV the slot already holds (the
  // paged cache's prefix); skipped under kLastToken pooling, which needs
  // only the last token's state (at most size - 1 are; other poolings run
  // every token).
  void Start(absl::Span<const int32_t> ids, int32_t slot,
             const EmbedOptions& options, int32_t cached = 0);
  // Tokens the current pass skipped as cached.
  int32_t skipped() const { return skipped_; }

  // The next chunk to run with ForwardHidden, of at most `most` tokens
  // (and max_batch): consecutive positions on the slot; want_logits marks
  // the rows pooling needs. Empty when done().
  absl::Span<const model::BatchToken> NextBatch(int32_t most = INT32_MAX);
  // Tokens still to run.
  int32_t remaining() const { return end_ - fed_; }

  // Takes the hidden rows ForwardHidden wrote for the last NextBatch().
  void Consume(const float* hidden);

  bool done() const { return started_ && fed_ == end_; }

  // The pooled (and, if asked, normalised) vector; valid once done().
  std::vector<float> Result() const;

  // Floats ForwardHidden may write for one NextBatch(): max_batch rows.
  size_t hidden_floats() const { return size_t(max_batch_) * hidden_size_; }

 private:
  const int32_t hidden_size_;
  const int32_t max_batch_;
  absl::Span<const int32_t> ids_;
  int32_t slot_ = 0;
  EmbedOptions options_;
  bool started_ = false;
  int32_t fed_ = 0;                       // tokens run so far
  int32_t end_ = 0;                       // tokens to run (1 for kCls)
  int32_t skipped_ = 0;                   // cached tokens not run
  std::vector<model::BatchToken> batch_;  // the chunk handed out
  std::vector<double> sum_;               // pooled accumulator
};

}  // namespace edgellm::engine

#endif  // EDGELLM_RUNTIME_ENGINE_EMBEDDING_H_
