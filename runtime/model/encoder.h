// The encoder-only transformer (bert, nomic-bert): token ids of many
// sequences -> one pooled vector or classifier score row per sequence.
//
// Read it with llama.cpp's src/models/bert.cpp in mind. For each token t of
// a sequence (positions restart at 0 in every sequence):
//   x_t = token_embd[id_t] + token_types[0] (+ position_embd[t], bert)
//   x = LayerNorm(x; token_embd_norm)
//   for each block (post-LN):
//     q, k, v = x Wq^T + bq, x Wk^T + bk, x Wv^T + bv  (fused QKV: row views)
//     nomic-bert: NeoX RoPE on q and k at the token's position
//     a = BidirectionalAttention(q, k, v) Wo^T + bo   (own sequence only)
//     x = LayerNorm(a + x; attn_output_norm)
//     f = GELU(x Wup^T + bup) Wdown^T + bdown          (bert)
//       | (silu(x Wgate^T) * (x Wup^T)) Wdown^T        (nomic-bert)
//     x = LayerNorm(f + x; layer_output_norm)
// then pooling per sequence (EncoderPooling): mean, first, last row; or for
// kRank the classifier head over the first row:
//   score = cls_out . tanh(cls h + cls_b) + cls_out_b.
// Optionally each pooled vector is scaled to unit L2 norm.
//
// Batching: Encode takes any number of sequences and runs them packed, as
// many as fit in max_tokens per forward pass, with a block-diagonal
// attention mask (ops::BidirectionalAttention), so a batch of short texts
// shares every weight read. That is the call a scheduler makes with the
// texts of its queued Embed/Rerank requests.
//
// Weights go through the decoder's linear path (runtime/model/
// prepared_linear.h): every weight type it supports works here.
//
// Not thread-safe: one Encoder runs one Encode at a time (its activation
// buffers, allocated at Create, and the pool's scratch are reused). The
// weights views and the pool must outlive it.
#ifndef EDGELLM_RUNTIME_MODEL_ENCODER_H_
#define EDGELLM_RUNTIME_MODEL_ENCODER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ops/attention.h"
#include "ops/rope.h"
#include "ops/thread_pool.h"
#include "runtime/model/encoder_config.h"
#include "runtime/model/encoder_weights.h"
#include "runtime/model/prepared_linear.h"
#include "util/huge_page_buffer.h"

namespace edgellm::model {

struct EncoderOptions {
  // Tokens in one forward pass, over all its sequences: bounds the
  // activation memory (about max_tokens * (6 d + 2 min(ff, ...)) floats) and
  // the longest sequence.
  int32_t max_tokens = 1024;
  // As TransformerOptions::release_packed_sources: only for weights in a
  // read-only private file mapping (GgufFile::Open).
  bool release_packed_sources = false;
};

class Encoder {
 public:
  static absl::StatusOr<std::unique_ptr<Encoder>> Create(
      const EncoderConfig& config, const EncoderWeights& weights,
      const EncoderOptions& options, ops::ThreadPool* pool);
  ~Encoder();

  // Floats Encode writes per sequence for `pooling`: embedding_length, or
  // classifier_outputs for kRank.
  int32_t OutputSize(EncoderPooling pooling) const;
  // The longest sequence Encode accepts: max_tokens, and for bert the rows
  // of position_embd.
  int32_t max_sequence_tokens() const { return max_sequence_tokens_; }
  bool can_rank() const { return weights_.has_classifier(); }

  // Writes OutputSize(pooling) floats per sequence, in order, to `out`
  // (sequences.size() rows). `normalize` scales each row to unit L2 norm
  // (not for kRank). Errors (nothing written): INVALID_ARGUMENT naming
  // "sequences[i]" for an empty sequence, one longer than
  // max_sequence_tokens(), or a token id outside the vocabulary; kNone
  // (use EncodeTokens) or kRank without a classifier head; a short `out`.
  absl::Status Encode(absl::Span<const absl::Span<const int32_t>> sequences,
                      EncoderPooling pooling, bool normalize,
                      absl::Span<float> out);

  // The final hidden state of every token (pooling none): rows of
  // embedding_length floats, the tokens of all sequences in order. The
  // sequences must fit in one forward pass (at most max_tokens in all).
  absl::Status EncodeTokens(
      absl::Span<const absl::Span<const int32_t>> sequences,
      absl::Span<float> out);

  const EncoderConfig& config() const { return config_; }
  const EncoderWeights& weights() const { return weights_; }

 private:
  struct LayerLinears;
  Encoder(const EncoderConfig& config, const EncoderWeights& weights,
          ops::ThreadPool* pool);
  absl::Status Validate(absl::Span<const absl::Span<const int32_t>> sequences,
                        EncoderPooling pooling) const;
  // One packed pass over `sequences` (at most max_tokens in all): the final
  // hidden states land in x_ (rows in sequence order, starts in
  // seq_starts_).
  absl::Status Forward(absl::Span<const absl::Span<const int32_t>> sequences);
  absl::Status Embed(absl::Span<const absl::Span<const int32_t>> sequences);
  absl::Status Layer(int32_t l, int32_t n);
  absl::Status Rope(float* x, int32_t n_heads, int32_t row_stride);
  absl::Status FeedForward(const LayerLinears& lin,
                           const EncoderLayerWeights& w, int32_t n);
  // Pools the `count` sequences of the last Forward into consecutive rows of
  // `out`.
  absl::Status Pool(size_t count, EncoderPooling pooling, bool normalize,
                    float* out);

  const EncoderConfig config_;
  const EncoderWeights weights_;
  ops::ThreadPool* const pool_;
  int32_t max_tokens_ = 0;
  int32_t max_sequence_tokens_ = 0;
  std::vector<LayerLinears> layers_;
  std::unique_ptr<PreparedLinear> cls_, cls_out_;
  HugePageBuffer packed_q8_0_;  // every repacked Q8_0 weight
  ops::RopeConfig rope_;
  ops::AttentionShape attention_;
  std::vector<size_t> seq_starts_;  // of the last Forward
  // Activations, [max_tokens][...] each; ff_* [ffn chunk][ff].
  std::vector<float> x_, xb_, q_, k_, v_, att_, ff_up_, ff_gate_;
  std::vector<float> head_in_, head_mid_;  // classifier rows
  std::vector<float> embed_rows_;          // type row 0, a position row
  std::vector<uint8_t> row_buffer_;        // for ReadEmbeddingRow
  std::vector<double> mean_sum_;           // mean pooling accumulator
};

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_ENCODER_H_
