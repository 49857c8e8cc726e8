// The decoder-only transformer: one forward pass over a batch of tokens.
//
// Read this file with llama2.c's run.c in mind: embed -> for each layer
// (RMSNorm -> Q/K/V -> RoPE -> causal GQA attention over the KV cache ->
// output projection -> residual -> RMSNorm -> SwiGLU FFN -> residual) ->
// final RMSNorm -> output head. The arithmetic lives in ops/; this file only
// wires it together.
//
// A batch may mix sequences: every token names its KV-cache slot and
// position, so one call can prefill a prompt (many positions of one slot) or
// advance many sequences by one token each (continuous batching). Within a
// batch, a token attends to cache positions 0..pos of its own slot, which
// includes the keys written by earlier tokens of the same call.
//
// Not thread-safe: one Transformer runs one Forward at a time. All buffers
// are allocated at Create; Forward does not allocate.
#ifndef EDGELLM_RUNTIME_MODEL_TRANSFORMER_H_
#define EDGELLM_RUNTIME_MODEL_TRANSFORMER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ops/attention.h"
#include "ops/convert.h"
#include "ops/rope.h"
#include "ops/thread_pool.h"
#include "quant/q8_0.h"
#include "runtime/model/config.h"
#include "runtime/model/kv_cache.h"
#include "runtime/model/prepared_linear.h"
#include "runtime/model/weights.h"
#include "util/huge_page_buffer.h"

namespace edgellm::model {

struct TransformerOptions {
  int32_t context = 0;     // KV positions per slot; 0 = the model's (capped)
  int32_t slots = 1;       // concurrent sequences
  int32_t max_batch = 64;  // tokens per Forward call
  KvCacheType kv_type = KvCacheType::kF32;
  // block_size > 0: the paged KV cache (kv_cache.h); its block tables are
  // reached through kv_cache().tables().
  KvPaging paging;
  // The weights come from a read-only private file mapping (GgufFile::Open):
  // after repacking a Q8_0 tensor for the kernel, drop the file pages it was
  // read from, so the process holds one copy. Never for weights in ordinary
  // memory (GgufFile::FromBuffer): dropping those pages would zero them.
  bool release_packed_sources = false;
};

// Caps the default context so a model trained for 128k does not allocate a
// 128k cache unless asked.
inline constexpr int32_t kDefaultContextCap = 4096;

struct BatchToken {
  int32_t token = 0;
  int32_t pos = 0;
  int32_t slot = 0;
  // This token produces an output row: logits in Forward, its final hidden
  // state in ForwardHidden.
  bool want_logits = false;
};

class Transformer {
 public:
  // `weights` views must outlive the Transformer (they point into the
  // model file). `pool` is shared and must outlive it too.
  static absl::StatusOr<std::unique_ptr<Transformer>> Create(
      const ModelConfig& config, const ModelWeights& weights,
      const TransformerOptions& options, ops::ThreadPool* pool);
  ~Transformer();

  // Runs `batch` (1..max_batch tokens). For each token with want_logits, in
  // batch order, writes vocab_size logits to consecutive rows of `logits`.
  // Errors: INVALID_ARGUMENT for a bad token id, slot or position (a
  // position at or past context() is OUT_OF_RANGE).
  absl::Status Forward(absl::Span<const BatchToken> batch, float* logits);

  // Like Forward (the same KV-cache writes and errors) but stops before the
  // output head: for each token with want_logits, in batch order, writes its
  // final-RMSNormed hidden state (the output head's input, embedding_length
  // floats) to consecutive rows of `hidden`. For embeddings; no allocation.
  absl::Status ForwardHidden(absl::Span<const BatchToken> batch, float* hidden);

  const ModelConfig& config() const { return config_; }
  int32_t context() const { return kv_->context(); }
  int32_t max_batch() const { return max_batch_; }
  const KvCache& kv_cache() const { return *kv_; }

  using Linear = PreparedLinear;  // a weight matrix prepared for its kernel

 private:
  Transformer(const ModelConfig& config, const ModelWeights& weights,
              ops::ThreadPool* pool);
  absl::Status RunLinear(const Linear& linear, const float* x, int32_t batch,
                         const float* bias, float* y);
  // Linears that share the input x: y = x W^T (+ bias) for each.
  using LinearCall = model::LinearCall;
  absl::Status RunLinears(absl::Span<const LinearCall> calls, const float* x,
                          int32_t batch);
  absl::Status Embed(absl::Span<const BatchToken> batch, float* x);
  // Forward's common part: validates `batch`, runs every layer, and writes
  // the final-normed hidden states of the want_logits tokens to `out`.
  // Sets `*rows` to how many rows were written.
  absl::Status ForwardToHidden(absl::Span<const BatchToken> batch, float* out,
                               int32_t* rows);
  // Per layer: its RoPE (base, scaling, factors) and attention shape (ring
  // rows, window, scale); one cos/sin table per distinct RoPE angle set.
  void SetUpRopeAndAttention(int32_t context);
  // The cos/sin of every batch token's position into the RoPE tables.
  absl::Status FillRopeTables(absl::Span<const BatchToken> batch);
  // Layer l's attention branch for the whole batch, from x_ into xb_
  // (post-normed where the architecture says so).
  absl::Status AttentionBlock(int32_t l, absl::Span<const BatchToken> batch);
  // Layer l's feed-forward branch for n tokens, from x_ into xb_.
  absl::Status FeedForwardBlock(int32_t l, int32_t n);
  // RoPE, attention and KV store for batch[begin, end): one slot,
  // consecutive positions.
  absl::Status AttentionRun(int32_t layer, absl::Span<const BatchToken> batch,
                            int32_t begin, int32_t end);
  // Paged cache: gives the runs of `batch` private blocks for the positions
  // they write (PrepareWrite) / publishes what they completed (CommitWrite).
  absl::Status PrepareBlocks(absl::Span<const BatchToken> batch);
  void CommitBlocks(absl::Span<const BatchToken> batch);
  // Writes `count` key and value rows (in the cache's element type) of
  // positions pos0.. into (layer, slot)'s rows.
  absl::Status StoreKv(int32_t layer, int32_t slot, int32_t pos0, int32_t count,
                       const void* k, const void* v);

  const ModelConfig config_;
  const ModelWeights weights_;
  ops::ThreadPool* const pool_;
  std::unique_ptr<KvCache> kv_;
  std::unique_ptr<ops::F32ToF16Converter> kv_convert_;  // f16 cache only
  int32_t max_batch_ = 0;
  struct LayerLinears;
  std::vector<LayerLinears> layers_;
  std::unique_ptr<Linear> output_;
  // Every repacked Q8_0 weight (Linear::q8_0 points into it); empty when the
  // kernel reads the file's layout.
  HugePageBuffer packed_q8_0_;
  std::vector<ops::RopeConfig> rope_;  // per layer
  // RoPE's cos/sin of the batch's positions ([max_batch][rot_dims] each),
  // filled once per Forward for each distinct set of angles (one for most
  // models, Gemma 3 has a local and a global one) and read by every layer
  // that uses it, for q and k alike.
  std::vector<std::vector<float>> rope_tables_;
  std::vector<int32_t> rope_table_of_layer_;    // -1: the layer does not rotate
  std::vector<int32_t> rope_table_layer_;       // a layer of each table
  std::vector<int64_t> positions_;              // the batch's, for the tables
  std::vector<float> rope_freq_factors_;        // llama3 scaling, else empty
  std::vector<ops::AttentionShape> attention_;  // per layer
  // f16 cache: the new keys and values of a run, converted.
  std::vector<uint16_t> new_k16_, new_v16_;
  std::vector<quant::BlockQ8_0> new_kq8_, new_vq8_;  // q8_0 cache only
  // Activations, [max_batch][...] each.
  std::vector<float> x_, xb_, q_, k_, v_, att_, ff_gate_, ff_up_, head_in_;
  std::vector<float> att_scratch_;
  std::vector<int32_t> run_tokens_;  // one run's token ids (paged cache)
  // One embedding row read back from a packed tied table (ReadEmbeddingRow).
  std::vector<uint8_t> embed_row_;
};

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_TRANSFORMER_H_
