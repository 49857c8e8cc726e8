#include "runtime/model/transformer.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ops/activation.h"
#include "ops/attention.h"
#include "ops/convert.h"
#include "ops/kernels/dispatch.h"
#include "ops/linear.h"
#include "ops/norm.h"
#include "ops/rope.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"
#include "util/status_macros.h"

namespace edgellm::model {

using gguf::TensorType;

struct Transformer::LayerLinears {
  std::unique_ptr<Linear> wq, wk, wv, wo, w_gate, w_up, w_down;
};

namespace {

// Tokens per feed-forward pass within a Forward batch (see ForwardToHidden).
// The Q8_0 GEMM works in tiles of 8 tokens, so chunks of 128 cost nothing
// measurable in speed; at a 512-token batch of tinyllama they save 17 MB.
constexpr int32_t kFfnChunk = 128;

// Whether two layers' RoPE configs give the same cos/sin at every position.
bool SameAngles(const ops::RopeConfig& a, const ops::RopeConfig& b) {
  return a.rot_dims == b.rot_dims && a.freq_base == b.freq_base &&
         a.freq_factors == b.freq_factors && a.freq_scale == b.freq_scale &&
         a.attn_factor == b.attn_factor;
}

}  // namespace

Transformer::Transformer(const ModelConfig& config, const ModelWeights& weights,
                         ops::ThreadPool* pool)
    : config_(config), weights_(weights), pool_(pool) {}

Transformer::~Transformer() = default;

absl::StatusOr<std::unique_ptr<Transformer>> Transformer::Create(
    const ModelConfig& config, const ModelWeights& weights,
    const TransformerOptions& options, ops::ThreadPool* pool) {
  if (options.slots <= 0 || options.max_batch <= 0 || options.context < 0) {
    return absl::InvalidArgumentError(
        "slots and max_batch must be positive, context non-negative");
  }
  std::unique_ptr<Transformer> t(new Transformer(config, weights, pool));
  const ModelConfig& c = t->config_;
  int32_t context = options.context;
  if (context == 0) context = std::min(c.context_length, kDefaultContextCap);
  if (c.layers.size() != static_cast<size_t>(c.block_count)) {
    return absl::InvalidArgumentError(
        absl::StrCat("config has ", c.layers.size(), " layer entries for ",
                     c.block_count, " layers"));
  }
  EDGELLM_RETURN_IF_ERROR(
      KvTypeSupported(options.kv_type, c.head_count_kv, c.head_dim));
  // Sliding-window layers keep a ring of their window (ops/attention.h), or
  // in the paged cache only their window's blocks; the others the whole
  // context.
  KvPaging paging = options.paging;
  paging.max_batch = options.max_batch;
  paging.block_size = std::min(paging.block_size, context);
  EDGELLM_ASSIGN_OR_RETURN(
      t->kv_, KvCache::Create(KvRowsPerLayer(c, context), options.slots,
                              context, c.kv_dim(), options.kv_type, paging));
  t->max_batch_ = options.max_batch;
  if (options.kv_type == KvCacheType::kF16) {
    EDGELLM_ASSIGN_OR_RETURN(t->kv_convert_,
                             ops::F32ToF16Converter::Create(c.kv_dim()));
    t->new_k16_.resize(size_t(options.max_batch) * c.kv_dim());
    t->new_v16_.resize(size_t(options.max_batch) * c.kv_dim());
  }
  if (options.kv_type == KvCacheType::kQ8_0) {
    const size_t blocks =
        size_t(options.max_batch) * c.kv_dim() / quant::kQ8_0BlockSize;
    t->new_kq8_.resize(blocks);
    t->new_vq8_.resize(blocks);
  }

  // Prepare every linear from the copy of the weights this object owns, so
  // the Tensor pointers stay valid.
  if (t->weights_.layers.size() != static_cast<size_t>(c.block_count)) {
    return absl::InvalidArgumentError(
        absl::StrCat("weights hold ", t->weights_.layers.size(),
                     " layers; the config says ", c.block_count));
  }
  // Every linear in the order a forward pass reads it, with where its
  // prepared form goes.
  std::vector<LinearSlot> order;
  t->layers_.resize(c.block_count);
  for (int32_t i = 0; i < c.block_count; ++i) {
    const LayerWeights& w = t->weights_.layers[i];
    LayerLinears& l = t->layers_[i];
    order.insert(order.end(), {{&w.wq, &l.wq},
                               {&w.wk, &l.wk},
                               {&w.wv, &l.wv},
                               {&w.wo, &l.wo},
                               {&w.w_gate, &l.w_gate},
                               {&w.w_up, &l.w_up},
                               {&w.w_down, &l.w_down}});
  }
  order.push_back({&t->weights_.output, &t->output_});
  EDGELLM_RETURN_IF_ERROR(PrepareLinears(order, options.release_packed_sources,
                                         pool, &t->packed_q8_0_));
  t->SetUpRopeAndAttention(context);
  const size_t b = options.max_batch;
  t->x_.resize(b * c.embedding_length);
  t->xb_.resize(b * std::max(c.embedding_length, c.q_dim()));
  t->q_.resize(b * c.q_dim());
  t->k_.resize(b * c.kv_dim());
  t->v_.resize(b * c.kv_dim());
  t->att_.resize(b * c.q_dim());
  const size_t ffn_rows = std::min<size_t>(b, kFfnChunk);
  t->ff_gate_.resize(ffn_rows * c.feed_forward_length);
  t->ff_up_.resize(ffn_rows * c.feed_forward_length);
  t->head_in_.resize(b * c.embedding_length);
  size_t scratch = 0;
  for (const ops::AttentionShape& a : t->attention_) {
    scratch = std::max(scratch, ops::AttentionScratchFloats(a));
  }
  t->att_scratch_.resize(scratch);
  t->run_tokens_.reserve(b);
  t->embed_row_.resize(EmbeddingRowBytes(t->weights_.token_embd));
  // Grow the pool's scratch once to what the largest linear needs, so that
  // Forward never allocates.
  if (pool != nullptr) {
    const size_t widest =
        std::max<size_t>({size_t(c.embedding_length), size_t(c.q_dim()),
                          size_t(c.feed_forward_length)});
    if (pool->Scratch(LinearScratchBytes(b, widest)) == nullptr) {
      return absl::ResourceExhaustedError("cannot allocate linear scratch");
    }
  }
  return t;
}

void Transformer::SetUpRopeAndAttention(int32_t context) {
  const ModelConfig& c = config_;
  // One table of per-pair divisors for every layer: the file's own
  // rope_freqs (what llama.cpp applies), or llama3 scaling computed from the
  // keys, or LongRoPE's short or long factors, chosen once by the context
  // as llama.cpp does (n_ctx > original context -> long).
  const float* factors = nullptr;
  if (weights_.rope_freqs.present()) {
    factors = weights_.rope_freqs.f32();
  } else if (c.rope_scaling.factor > 0) {
    const Llama3RopeScaling& s = c.rope_scaling;
    rope_freq_factors_ = ops::Llama3RopeFreqFactors(
        c.rope_dimension_count, c.rope_freq_base, s.factor, s.low_freq_factor,
        s.high_freq_factor, s.original_context_length);
    factors = rope_freq_factors_.data();
  }
  if (weights_.rope_factors_short.present()) {
    factors = context > c.rope_original_context
                  ? weights_.rope_factors_long.f32()
                  : weights_.rope_factors_short.f32();
  }
  rope_.resize(c.block_count);
  attention_.resize(c.block_count);
  for (int32_t l = 0; l < c.block_count; ++l) {
    const LayerConfig& layer = c.layers[l];
    ops::RopeConfig& r = rope_[l];
    r.head_dim = c.head_dim;
    r.rot_dims = c.rope_dimension_count;
    r.freq_base = layer.rope_freq_base;
    r.freq_scale = layer.rope_freq_scale;
    r.attn_factor = c.rope_attn_factor;
    r.layout = c.rope_style == RopeStyle::kNeox ? ops::RopeLayout::kNeox
                                                : ops::RopeLayout::kNormal;
    r.freq_factors = factors;
    ops::AttentionShape& a = attention_[l];
    a.n_heads = c.head_count;
    a.n_kv_heads = c.head_count_kv;
    a.head_dim = c.head_dim;
    a.n_ctx = kv_->rows(l);
    a.window = layer.window;
    a.scale = c.attention_scale;
  }
  rope_table_of_layer_.assign(c.block_count, -1);
  for (int32_t l = 0; l < c.block_count; ++l) {
    if (!c.layers[l].rope) continue;
    size_t k = 0;
    while (k < rope_table_layer_.size() &&
           !SameAngles(rope_[rope_table_layer_[k]], rope_[l])) {
      ++k;
    }
    if (k == rope_table_layer_.size()) {
      rope_table_layer_.push_back(l);
      rope_tables_.emplace_back(size_t(max_batch_) * rope_[l].rot_dims);
    }
    rope_table_of_layer_[l] = static_cast<int32_t>(k);
  }
  positions_.reserve(max_batch_);
}

absl::Status Transformer::FillRopeTables(absl::Span<const BatchToken> batch) {
  positions_.clear();
  for (const BatchToken& t : batch) positions_.push_back(t.pos);
  for (size_t k = 0; k < rope_tables_.size(); ++k) {
    EDGELLM_RETURN_IF_ERROR(
        ops::RopeCosSinTable(rope_[rope_table_layer_[k]], positions_,
                             rope_tables_[k].data(), pool_));
  }
  return absl::OkStatus();
}

absl::Status Transformer::RunLinear(const Linear& linear, const float* x,
                                    int32_t batch, const float* bias,
                                    float* y) {
  return model::RunLinear(linear, x, batch, bias, y, pool_);
}

absl::Status Transformer::RunLinears(absl::Span<const LinearCall> calls,
                                     const float* x, int32_t batch) {
  return model::RunLinears(calls, x, batch, pool_);
}

absl::Status Transformer::Embed(absl::Span<const BatchToken> batch, float* x) {
  const int64_t d = config_.embedding_length;
  for (size_t i = 0; i < batch.size(); ++i) {
    EDGELLM_RETURN_IF_ERROR(ReadEmbeddingRow(weights_.token_embd, output_.get(),
                                             batch[i].token, x + i * d,
                                             embed_row_.data()));
  }
  return absl::OkStatus();
}

absl::Status Transformer::StoreKv(int32_t layer, int32_t slot, int32_t pos0,
                                  int32_t count, const void* k, const void* v) {
  // Only the last `rows` positions stay in a ring of `rows`; position p goes
  // to row p % rows (p itself for a full-context layer).
  const size_t row_bytes = kv_->row_bytes();
  if (kv_->paged(layer)) {
    // Runs of rows within one block (PrepareBlocks gave each its block).
    const int32_t bs = kv_->block_size();
    const int32_t* table = kv_->tables()->table(slot, kv_->group(layer));
    for (int32_t i = 0; i < count;) {
      const int32_t p = pos0 + i;
      const int32_t run = std::min(count - i, bs - p % bs);
      const int32_t block = table[p / bs];
      std::memcpy(kv_->block_key(layer, block, p % bs),
                  static_cast<const char*>(k) + i * row_bytes, run * row_bytes);
      std::memcpy(kv_->block_value(layer, block, p % bs),
                  static_cast<const char*>(v) + i * row_bytes, run * row_bytes);
      i += run;
    }
    return absl::OkStatus();
  }
  const int32_t rows = kv_->rows(layer);
  const int32_t skip = std::max(0, count - rows);
  for (int32_t i = skip; i < count;) {
    const int32_t row = (pos0 + i) % rows;
    const int32_t run = std::min(count - i, rows - row);  // up to the wrap
    std::memcpy(kv_->key(layer, slot, row),
                static_cast<const char*>(k) + i * row_bytes, run * row_bytes);
    std::memcpy(kv_->value(layer, slot, row),
                static_cast<const char*>(v) + i * row_bytes, run * row_bytes);
    i += run;
  }
  return absl::OkStatus();
}

absl::Status Transformer::AttentionRun(int32_t layer,
                                       absl::Span<const BatchToken> batch,
                                       int32_t begin, int32_t end) {
  const ModelConfig& c = config_;
  const int32_t q_dim = c.q_dim();
  const int32_t kv_dim = c.kv_dim();
  const int32_t slot = batch[begin].slot;
  const int32_t pos0 = batch[begin].pos;
  const size_t count = end - begin;
  float* q = q_.data() + size_t(begin) * q_dim;
  float* k = k_.data() + size_t(begin) * kv_dim;
  float* v = v_.data() + size_t(begin) * kv_dim;
  if (c.layers[layer].rope) {
    const ops::RopeConfig& rope = rope_[layer];
    const float* cs = rope_tables_[rope_table_of_layer_[layer]].data() +
                      size_t(begin) * rope.rot_dims;
    EDGELLM_RETURN_IF_ERROR(
        ops::RopeWithTable(rope, cs, q, count, c.head_count, q_dim, pool_));
    EDGELLM_RETURN_IF_ERROR(
        ops::RopeWithTable(rope, cs, k, count, c.head_count_kv, kv_dim, pool_));
  }
  // The new keys and values are read from where they are (f16, q8_0:
  // converted first, as the cache holds them) and stored after the
  // attention: a ring of a sliding-window layer may have no row to spare
  // for them before.
  float* out = att_.data() + size_t(begin) * q_dim;
  const ops::AttentionShape& shape = attention_[layer];
  const bool paged = kv_->paged(layer);
  const void* cached_k =
      paged ? kv_->block_keys(layer) : kv_->key(layer, slot, 0);
  const void* cached_v =
      paged ? kv_->block_values(layer) : kv_->value(layer, slot, 0);
  const int32_t* blocks =
      paged ? kv_->tables()->table(slot, kv_->group(layer)) : nullptr;
  const size_t block_rows = paged ? kv_->block_size() : 0;
  const size_t block_stride = block_rows * kv_dim;
  if (kv_->type() == KvCacheType::kQ8_0) {
    ops::QuantizeKvRowsQ8_0(k, count, kv_dim, new_kq8_.data());
    ops::QuantizeKvRowsQ8_0(v, count, kv_dim, new_vq8_.data());
    const ops::KvRows<quant::BlockQ8_0> kv{
        static_cast<const quant::BlockQ8_0*>(cached_k),
        static_cast<const quant::BlockQ8_0*>(cached_v),
        new_kq8_.data(),
        new_vq8_.data(),
        blocks,
        block_rows,
        block_stride / quant::kQ8_0BlockSize};
    EDGELLM_RETURN_IF_ERROR(ops::AttentionRowsQ8_0(shape, q, count, pos0, kv,
                                                   out, att_scratch_.data(),
                                                   att_scratch_.size(), pool_));
    return StoreKv(layer, slot, pos0, static_cast<int32_t>(count),
                   new_kq8_.data(), new_vq8_.data());
  }
  if (kv_->type() == KvCacheType::kF32) {
    const ops::KvRows<float> kv{static_cast<const float*>(cached_k),
                                static_cast<const float*>(cached_v),
                                k,
                                v,
                                blocks,
                                block_rows,
                                block_stride};
    EDGELLM_RETURN_IF_ERROR(ops::AttentionRows(shape, q, count, pos0, kv, out,
                                               att_scratch_.data(),
                                               att_scratch_.size(), pool_));
    return StoreKv(layer, slot, pos0, static_cast<int32_t>(count), k, v);
  }
  EDGELLM_RETURN_IF_ERROR(kv_convert_->Run(k, count, new_k16_.data()));
  EDGELLM_RETURN_IF_ERROR(kv_convert_->Run(v, count, new_v16_.data()));
  const ops::KvRows<uint16_t> kv{static_cast<const uint16_t*>(cached_k),
                                 static_cast<const uint16_t*>(cached_v),
                                 new_k16_.data(),
                                 new_v16_.data(),
                                 blocks,
                                 block_rows,
                                 block_stride};
  EDGELLM_RETURN_IF_ERROR(ops::AttentionRowsF16(shape, q, count, pos0, kv, out,
                                                att_scratch_.data(),
                                                att_scratch_.size(), pool_));
  return StoreKv(layer, slot, pos0, static_cast<int32_t>(count),
                 new_k16_.data(), new_v16_.data());
}

// Calls fn(begin, end) for each run of `batch`: consecutive positions of
// one slot (what AttentionBlock hands to AttentionRun).
template <typename Fn>
static absl::Status ForEachRun(absl::Span<const BatchToken> batch, Fn fn) {
  const size_t n = batch.size();
  for (size_t begin = 0; begin < n;) {
    size_t end = begin + 1;
    while (end < n && batch[end].slot == batch[begin].slot &&
           batch[end].pos == batch[end - 1].pos + 1) {
      ++end;
    }
    EDGELLM_RETURN_IF_ERROR(fn(begin, end));
    begin = end;
  }
  return absl::OkStatus();
}

absl::Status Transformer::PrepareBlocks(absl::Span<const BatchToken> batch) {
  KvBlockTables* tables = kv_->tables();
  if (tables == nullptr) return absl::OkStatus();
  return ForEachRun(batch, [&](size_t begin, size_t end) {
    run_tokens_.clear();
    for (size_t i = begin; i < end; ++i) run_tokens_.push_back(batch[i].token);
    return tables->PrepareWrite(
        batch[begin].slot, batch[begin].pos, run_tokens_,
        [this](int32_t group, int32_t from, int32_t to) {
          kv_->CopyBlock(group, from, to);
        });
  });
}

void Transformer::CommitBlocks(absl::Span<const BatchToken> batch) {
  KvBlockTables* tables = kv_->tables();
  if (tables == nullptr) return;
  ForEachRun(batch, [&](size_t begin, size_t end) {
    tables->CommitWrite(batch[begin].slot, batch[end - 1].pos + 1);
    return absl::OkStatus();
  }).IgnoreError();
}

absl::Status Transformer::Forward(absl::Span<const BatchToken> batch,
                                  float* logits) {
  int32_t rows = 0;
  EDGELLM_RETURN_IF_ERROR(ForwardToHidden(batch, xb_.data(), &rows));
  if (rows == 0) return absl::OkStatus();
  return RunLinear(*output_, xb_.data(), rows, nullptr, logits);
}

absl::Status Transformer::ForwardHidden(absl::Span<const BatchToken> batch,
                                        float* hidden) {
  int32_t rows = 0;
  return ForwardToHidden(batch, hidden, &rows);
}

absl::Status Transformer::AttentionBlock(int32_t l,
                                         absl::Span<const BatchToken> batch) {
  const ModelConfig& c = config_;
  const int32_t n = static_cast<int32_t>(batch.size());
  const int32_t d = c.embedding_length;
  const LayerWeights& w = weights_.layers[l];
  const LayerLinears& lin = layers_[l];
  ops::RmsNorm(x_.data(), w.attn_norm.f32(), n, d, c.rms_norm_eps, xb_.data(),
               pool_);
  const LinearCall qkv[] = {
      {lin.wq.get(), w.bq.present() ? w.bq.f32() : nullptr, q_.data()},
      {lin.wk.get(), w.bk.present() ? w.bk.f32() : nullptr, k_.data()},
      {lin.wv.get(), w.bv.present() ? w.bv.f32() : nullptr, v_.data()}};
  EDGELLM_RETURN_IF_ERROR(RunLinears(qkv, xb_.data(), n));
  if (c.arch.qk_norm) {
    // Per head: the rows of q and k are heads of head_dim values.
    ops::RmsNorm(q_.data(), w.attn_q_norm.f32(), size_t(n) * c.head_count,
                 c.head_dim, c.rms_norm_eps, q_.data(), pool_);
    ops::RmsNorm(k_.data(), w.attn_k_norm.f32(), size_t(n) * c.head_count_kv,
                 c.head_dim, c.rms_norm_eps, k_.data(), pool_);
  }
  // Runs of consecutive positions of one slot share RoPE and attention
  // calls: a prompt chunk is one run, a decode batch one run per slot.
  for (int32_t begin = 0; begin < n;) {
    int32_t end = begin + 1;
    while (end < n && batch[end].slot == batch[begin].slot &&
           batch[end].pos == batch[end - 1].pos + 1) {
      ++end;
    }
    EDGELLM_RETURN_IF_ERROR(AttentionRun(l, batch, begin, end));
    begin = end;
  }
  EDGELLM_RETURN_IF_ERROR(
      RunLinear(*lin.wo, att_.data(), n, nullptr, xb_.data()));
  if (c.arch.post_norms) {
    ops::RmsNorm(xb_.data(), w.post_attention_norm.f32(), n, d, c.rms_norm_eps,
                 xb_.data(), pool_);
  }
  return absl::OkStatus();
}

absl::Status Transformer::FeedForwardBlock(int32_t l, int32_t n) {
  const ModelConfig& c = config_;
  const int32_t d = c.embedding_length;
  const int32_t ff = c.feed_forward_length;
  const LayerWeights& w = weights_.layers[l];
  const LayerLinears& lin = layers_[l];
  // kFfnChunk tokens at a time (every token's FFN is independent): the two
  // ff-wide buffers are the largest activations, and chunking them keeps a
  // 512-token prompt batch inside the memory budget (docs/performance.md). The
  // down projection of a chunk overwrites its own rows of xb_, which gate/up
  // have consumed.
  ops::RmsNorm(x_.data(), w.ffn_norm.f32(), n, d, c.rms_norm_eps, xb_.data(),
               pool_);
  for (int32_t c0 = 0; c0 < n; c0 += kFfnChunk) {
    const int32_t cn = std::min(kFfnChunk, n - c0);
    float* xc = xb_.data() + size_t(c0) * d;
    const LinearCall gate_up[] = {{lin.w_gate.get(), nullptr, ff_gate_.data()},
                                  {lin.w_up.get(), nullptr, ff_up_.data()}};
    EDGELLM_RETURN_IF_ERROR(RunLinears(gate_up, xc, cn));
    if (c.arch.activation == FfnActivation::kGeluTanh) {
      ops::GeGlu(ff_gate_.data(), ff_up_.data(), size_t(cn) * ff,
                 ff_gate_.data(), pool_);
    } else {
      ops::SwiGlu(ff_gate_.data(), ff_up_.data(), size_t(cn) * ff,
                  ff_gate_.data(), pool_);
    }
    EDGELLM_RETURN_IF_ERROR(
        RunLinear(*lin.w_down, ff_gate_.data(), cn, nullptr, xc));
  }
  if (c.arch.post_norms) {
    ops::RmsNorm(xb_.data(), w.post_ffw_norm.f32(), n, d, c.rms_norm_eps,
                 xb_.data(), pool_);
  }
  return absl::OkStatus();
}

absl::Status Transformer::ForwardToHidden(absl::Span<const BatchToken> batch,
                                          float* out, int32_t* rows_out) {
  *rows_out = 0;
  const ModelConfig& c = config_;
  const int32_t n = static_cast<int32_t>(batch.size());
  if (n <= 0 || n > max_batch_) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch of ", n, " tokens; must be 1..", max_batch_));
  }
  for (const BatchToken& t : batch) {
    if (t.token < 0 || t.token >= c.vocab_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("token id ", t.token, " is outside the vocabulary [0, ",
                       c.vocab_size, ")"));
    }
    if (t.slot < 0 || t.slot >= kv_->slots()) {
      return absl::InvalidArgumentError(
          absl::StrCat("slot ", t.slot, " is outside [0, ", kv_->slots(), ")"));
    }
    if (t.pos < 0 || t.pos >= kv_->context()) {
      return absl::OutOfRangeError(absl::StrCat("position ", t.pos,
                                                " is past the context of ",
                                                kv_->context(), " tokens"));
    }
  }
  const int32_t d = c.embedding_length;
  float* x = x_.data();
  EDGELLM_RETURN_IF_ERROR(PrepareBlocks(batch));
  EDGELLM_RETURN_IF_ERROR(FillRopeTables(batch));
  EDGELLM_RETURN_IF_ERROR(Embed(batch, x));
  if (c.embedding_scale != 1.0f) {
    for (size_t i = 0; i < size_t(n) * d; ++i) x[i] *= c.embedding_scale;
  }
  for (int32_t l = 0; l < c.block_count; ++l) {
    EDGELLM_RETURN_IF_ERROR(AttentionBlock(l, batch));
    for (size_t i = 0; i < size_t(n) * d; ++i) x[i] += xb_[i];
    EDGELLM_RETURN_IF_ERROR(FeedForwardBlock(l, n));
    for (size_t i = 0; i < size_t(n) * d; ++i) x[i] += xb_[i];
  }
  CommitBlocks(batch);

  // Final norm, only for the rows that want an output.
  int32_t rows = 0;
  for (int32_t i = 0; i < n; ++i) {
    if (!batch[i].want_logits) continue;
    std::memcpy(head_in_.data() + size_t(rows) * d, x + size_t(i) * d,
                d * sizeof(float));
    ++rows;
  }
  if (rows == 0) return absl::OkStatus();
  ops::RmsNorm(head_in_.data(), weights_.output_norm.f32(), rows, d,
               c.rms_norm_eps, out, pool_);
  *rows_out = rows;
  return absl::OkStatus();
}

}  // namespace edgellm::model
