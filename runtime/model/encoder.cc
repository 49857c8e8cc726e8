#include "runtime/model/encoder.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ops/activation.h"
#include "ops/linear.h"
#include "ops/norm.h"
#include "util/status_macros.h"

namespace edgellm::model {

using gguf::TensorType;

struct Encoder::LayerLinears {
  std::unique_ptr<PreparedLinear> wq, wk, wv, wo, w_gate, w_up, w_down;
};

namespace {

// Tokens per feed-forward pass within a forward pass: the two ff-wide
// buffers are the largest activations (ff = 4 d), and GEMMs of 256 rows run
// at full speed.
constexpr int32_t kFfnChunk = 256;

const float* BiasOf(const Tensor& t) { return t.present() ? t.f32() : nullptr; }

void AddInto(const float* a, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += a[i];
}

void L2Normalize(float* v, size_t n) {
  double sq = 0;
  for (size_t i = 0; i < n; ++i) sq += double(v[i]) * v[i];
  if (sq <= 0) return;
  const double scale = 1.0 / std::sqrt(sq);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(v[i] * scale);
}

}  // namespace

Encoder::Encoder(const EncoderConfig& config, const EncoderWeights& weights,
                 ops::ThreadPool* pool)
    : config_(config), weights_(weights), pool_(pool) {}

Encoder::~Encoder() = default;

absl::StatusOr<std::unique_ptr<Encoder>> Encoder::Create(
    const EncoderConfig& config, const EncoderWeights& weights,
    const EncoderOptions& options, ops::ThreadPool* pool) {
  if (options.max_tokens <= 0 || options.max_tokens > (1 << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_tokens ", options.max_tokens, " must be in [1, 1048576]"));
  }
  std::unique_ptr<Encoder> e(new Encoder(config, weights, pool));
  const EncoderConfig& c = e->config_;
  const EncoderWeights& w = e->weights_;
  if (w.layers.size() != static_cast<size_t>(c.block_count)) {
    return absl::InvalidArgumentError(absl::StrCat("weights hold ",
                                                   w.layers.size(),
                                                   " layers; the config "
                                                   "says ",
                                                   c.block_count));
  }
  e->max_tokens_ = options.max_tokens;
  e->max_sequence_tokens_ = std::min(options.max_tokens, c.context_length);

  // Every linear in the order a forward pass reads it (see PrepareLinears),
  // from the weights this object owns, so the Tensor pointers stay valid.
  std::vector<LinearSlot> order;
  e->layers_.resize(c.block_count);
  for (int32_t i = 0; i < c.block_count; ++i) {
    const EncoderLayerWeights& lw = w.layers[i];
    LayerLinears& l = e->layers_[i];
    order.insert(
        order.end(),
        {{&lw.wq, &l.wq}, {&lw.wk, &l.wk}, {&lw.wv, &l.wv}, {&lw.wo, &l.wo}});
    if (lw.w_gate.present()) order.push_back({&lw.w_gate, &l.w_gate});
    order.insert(order.end(), {{&lw.w_up, &l.w_up}, {&lw.w_down, &l.w_down}});
  }
  if (w.cls.present()) order.push_back({&w.cls, &e->cls_});
  if (w.cls_out.present()) order.push_back({&w.cls_out, &e->cls_out_});
  EDGELLM_RETURN_IF_ERROR(PrepareLinears(order, options.release_packed_sources,
                                         pool, &e->packed_q8_0_));

  e->rope_.head_dim = c.head_dim;
  e->rope_.rot_dims = c.rope_dimension_count;
  e->rope_.freq_base = c.rope_freq_base;
  e->rope_.layout = ops::RopeLayout::kNeox;
  e->attention_.n_heads = c.head_count;
  e->attention_.n_kv_heads = c.head_count_kv;
  e->attention_.head_dim = c.head_dim;
  e->attention_.n_ctx = e->max_sequence_tokens_;

  const size_t t = options.max_tokens;
  const size_t d = c.embedding_length, ff = c.feed_forward_length;
  e->x_.resize(t * d);
  e->xb_.resize(t * std::max<size_t>(d, c.q_dim()));
  e->q_.resize(t * c.q_dim());
  e->k_.resize(t * c.kv_dim());
  e->v_.resize(t * c.kv_dim());
  e->att_.resize(t * c.q_dim());
  const size_t ffn_rows = std::min<size_t>(t, kFfnChunk);
  e->ff_up_.resize(ffn_rows * ff);
  if (w.layers[0].w_gate.present()) e->ff_gate_.resize(ffn_rows * ff);
  if (e->can_rank()) {
    e->head_in_.resize(t * d);
    e->head_mid_.resize(t * d);
  }
  e->seq_starts_.reserve(t + 1);
  e->embed_rows_.resize(2 * d);
  size_t row_bytes = EmbeddingRowBytes(w.token_embd);
  for (const Tensor* t : {&w.position_embd, &w.token_types}) {
    if (t->present()) row_bytes = std::max(row_bytes, EmbeddingRowBytes(*t));
  }
  e->row_buffer_.resize(row_bytes);
  e->mean_sum_.resize(d);
  // Grow the pool's scratch once to what the largest linear needs, so a
  // forward pass does not allocate.
  if (pool != nullptr) {
    const size_t widest = std::max<size_t>({d, size_t(c.q_dim()), ff});
    if (pool->Scratch(ops::LinearQ8_0ScratchBytes(t, widest)) == nullptr) {
      return absl::ResourceExhaustedError("cannot allocate linear scratch");
    }
  }
  return e;
}

int32_t Encoder::OutputSize(EncoderPooling pooling) const {
  if (pooling == EncoderPooling::kRank && weights_.cls_out.present()) {
    return static_cast<int32_t>(weights_.cls_out.rows);
  }
  return config_.embedding_length;
}

absl::Status Encoder::Validate(
    absl::Span<const absl::Span<const int32_t>> sequences,
    EncoderPooling pooling) const {
  if (pooling == EncoderPooling::kRank && !can_rank()) {
    return absl::UnimplementedError(
        "the model has no classifier head (cls.weight / cls.output.weight), "
        "so it cannot rank");
  }
  for (size_t s = 0; s < sequences.size(); ++s) {
    const absl::Span<const int32_t> ids = sequences[s];
    if (ids.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("sequences[", s, "]: no tokens"));
    }
    if (ids.size() > static_cast<size_t>(max_sequence_tokens_)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sequences[", s, "]: ", ids.size(), " tokens exceed the limit of ",
          max_sequence_tokens_, " (the model's context of ",
          config_.context_length, " and max_tokens ", max_tokens_, ")"));
    }
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] < 0 || ids[i] >= config_.vocab_size) {
        return absl::InvalidArgumentError(
            absl::StrCat("sequences[", s, "]: token id ", ids[i], " at index ",
                         i, " is outside [0, ", config_.vocab_size, ")"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Encoder::Encode(
    absl::Span<const absl::Span<const int32_t>> sequences,
    EncoderPooling pooling, bool normalize, absl::Span<float> out) {
  if (pooling == EncoderPooling::kNone) {
    return absl::InvalidArgumentError(
        "pooling none has no single vector per sequence (use EncodeTokens)");
  }
  EDGELLM_RETURN_IF_ERROR(Validate(sequences, pooling));
  const size_t row = OutputSize(pooling);
  if (out.size() < sequences.size() * row) {
    return absl::InvalidArgumentError(
        absl::StrCat("output holds ", out.size(), " floats; ", sequences.size(),
                     " sequences need ", sequences.size() * row));
  }
  // Greedy packing in input order: as many whole sequences per pass as fit.
  for (size_t first = 0; first < sequences.size();) {
    size_t count = 0, tokens = 0;
    while (first + count < sequences.size() &&
           tokens + sequences[first + count].size() <=
               static_cast<size_t>(max_tokens_)) {
      tokens += sequences[first + count].size();
      ++count;
    }
    EDGELLM_RETURN_IF_ERROR(Forward(sequences.subspan(first, count)));
    EDGELLM_RETURN_IF_ERROR(
        Pool(count, pooling, normalize, out.data() + first * row));
    first += count;
  }
  return absl::OkStatus();
}

absl::Status Encoder::EncodeTokens(
    absl::Span<const absl::Span<const int32_t>> sequences,
    absl::Span<float> out) {
  EDGELLM_RETURN_IF_ERROR(Validate(sequences, EncoderPooling::kNone));
  size_t tokens = 0;
  for (const auto& s : sequences) tokens += s.size();
  if (tokens > static_cast<size_t>(max_tokens_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        tokens, " tokens do not fit one forward pass of ", max_tokens_));
  }
  const size_t d = config_.embedding_length;
  if (out.size() < tokens * d) {
    return absl::InvalidArgumentError(
        absl::StrCat("output holds ", out.size(), " floats; ", tokens,
                     " tokens need ", tokens * d));
  }
  if (tokens == 0) return absl::OkStatus();
  EDGELLM_RETURN_IF_ERROR(Forward(sequences));
  std::memcpy(out.data(), x_.data(), tokens * d * sizeof(float));
  return absl::OkStatus();
}

absl::Status Encoder::Embed(
    absl::Span<const absl::Span<const int32_t>> sequences) {
  const size_t d = config_.embedding_length;
  const EncoderWeights& w = weights_;
  // Type row 0 for every token, as llama.cpp (bert.cpp: "token types are
  // hardcoded to zero").
  float* type_row = embed_rows_.data();
  float* pos_row = type_row + d;
  if (w.token_types.present()) {
    EDGELLM_RETURN_IF_ERROR(ReadEmbeddingRow(w.token_types, nullptr, 0,
                                             type_row, row_buffer_.data()));
  }
  size_t row = 0;
  for (const absl::Span<const int32_t> ids : sequences) {
    for (size_t t = 0; t < ids.size(); ++t, ++row) {
      float* x = x_.data() + row * d;
      EDGELLM_RETURN_IF_ERROR(ReadEmbeddingRow(w.token_embd, nullptr, ids[t], x,
                                               row_buffer_.data()));
      if (w.token_types.present()) AddInto(type_row, x, d);
      if (w.position_embd.present()) {
        EDGELLM_RETURN_IF_ERROR(ReadEmbeddingRow(w.position_embd, nullptr,
                                                 static_cast<int64_t>(t),
                                                 pos_row, row_buffer_.data()));
        AddInto(pos_row, x, d);
      }
    }
  }
  ops::LayerNorm(x_.data(), w.embd_norm_w.f32(), w.embd_norm_b.f32(), row, d,
                 config_.layer_norm_eps, x_.data(), pool_);
  return absl::OkStatus();
}

absl::Status Encoder::Forward(
    absl::Span<const absl::Span<const int32_t>> sequences) {
  seq_starts_.assign(1, 0);
  for (const auto& s : sequences) {
    seq_starts_.push_back(seq_starts_.back() + s.size());
  }
  const int32_t n = static_cast<int32_t>(seq_starts_.back());
  EDGELLM_RETURN_IF_ERROR(Embed(sequences));
  for (int32_t l = 0; l < config_.block_count; ++l) {
    EDGELLM_RETURN_IF_ERROR(Layer(l, n));
  }
  return absl::OkStatus();
}

absl::Status Encoder::Rope(float* x, int32_t n_heads, int32_t row_stride) {
  // Positions restart in every sequence. One sequence: its tokens split over
  // the pool; many: the sequences do.
  const size_t n_seqs = seq_starts_.size() - 1;
  if (n_seqs == 1) {
    return ops::Rope(rope_, x, seq_starts_[1], n_heads, row_stride, 0, pool_);
  }
  std::atomic<bool> failed{false};
  ops::ParallelFor(pool_, n_seqs, 1, [&](size_t s0, size_t s1) {
    for (size_t s = s0; s < s1; ++s) {
      const size_t start = seq_starts_[s];
      if (!ops::Rope(rope_, x + start * row_stride, seq_starts_[s + 1] - start,
                     n_heads, row_stride, 0, nullptr)
               .ok()) {
        failed = true;
      }
    }
  });
  if (failed) return absl::InternalError("RoPE rejected its configuration");
  return absl::OkStatus();
}

absl::Status Encoder::Layer(int32_t l, int32_t n) {
  const EncoderConfig& c = config_;
  const EncoderLayerWeights& w = weights_.layers[l];
  const LayerLinears& lin = layers_[l];
  const size_t d = c.embedding_length;
  const LinearCall qkv[] = {{lin.wq.get(), BiasOf(w.bq), q_.data()},
                            {lin.wk.get(), BiasOf(w.bk), k_.data()},
                            {lin.wv.get(), BiasOf(w.bv), v_.data()}};
  EDGELLM_RETURN_IF_ERROR(RunLinears(qkv, x_.data(), n, pool_));
  if (c.architecture == EncoderArchitecture::kNomicBert) {
    EDGELLM_RETURN_IF_ERROR(Rope(q_.data(), c.head_count, c.q_dim()));
    EDGELLM_RETURN_IF_ERROR(Rope(k_.data(), c.head_count_kv, c.kv_dim()));
  }
  EDGELLM_RETURN_IF_ERROR(
      ops::BidirectionalAttention(attention_, q_.data(), k_.data(), v_.data(),
                                  seq_starts_, att_.data(), pool_));
  EDGELLM_RETURN_IF_ERROR(
      RunLinear(*lin.wo, att_.data(), n, BiasOf(w.bo), xb_.data(), pool_));
  AddInto(x_.data(), xb_.data(), size_t(n) * d);
  ops::LayerNorm(xb_.data(), w.attn_norm_w.f32(), w.attn_norm_b.f32(), n, d,
                 c.layer_norm_eps, x_.data(), pool_);
  EDGELLM_RETURN_IF_ERROR(FeedForward(lin, w, n));
  AddInto(x_.data(), xb_.data(), size_t(n) * d);
  ops::LayerNorm(xb_.data(), w.out_norm_w.f32(), w.out_norm_b.f32(), n, d,
                 c.layer_norm_eps, x_.data(), pool_);
  return absl::OkStatus();
}

absl::Status Encoder::FeedForward(const LayerLinears& lin,
                                  const EncoderLayerWeights& w, int32_t n) {
  const size_t d = config_.embedding_length, ff = config_.feed_forward_length;
  // kFfnChunk tokens at a time (every token's feed-forward is independent);
  // the result goes to xb_.
  for (int32_t c0 = 0; c0 < n; c0 += kFfnChunk) {
    const int32_t cn = std::min(kFfnChunk, n - c0);
    const float* xc = x_.data() + size_t(c0) * d;
    if (lin.w_gate != nullptr) {
      const LinearCall gate_up[] = {
          {lin.w_gate.get(), nullptr, ff_gate_.data()},
          {lin.w_up.get(), nullptr, ff_up_.data()}};
      EDGELLM_RETURN_IF_ERROR(RunLinears(gate_up, xc, cn, pool_));
      ops::SwiGlu(ff_gate_.data(), ff_up_.data(), size_t(cn) * ff,
                  ff_up_.data(), pool_);
    } else {
      EDGELLM_RETURN_IF_ERROR(
          RunLinear(*lin.w_up, xc, cn, BiasOf(w.b_up), ff_up_.data(), pool_));
      ops::Gelu(ff_up_.data(), size_t(cn) * ff, ff_up_.data(), pool_);
    }
    EDGELLM_RETURN_IF_ERROR(RunLinear(*lin.w_down, ff_up_.data(), cn,
                                      BiasOf(w.b_down),
                                      xb_.data() + size_t(c0) * d, pool_));
  }
  return absl::OkStatus();
}

absl::Status Encoder::Pool(size_t count, EncoderPooling pooling, bool normalize,
                           float* out) {
  const size_t d = config_.embedding_length;
  const float* x = x_.data();
  if (pooling == EncoderPooling::kRank) {
    // The first row of each sequence through the head, all sequences as one
    // batch. The result is the head's raw output (no sigmoid, no norm).
    for (size_t s = 0; s < count; ++s) {
      std::memcpy(head_in_.data() + s * d, x + seq_starts_[s] * d,
                  d * sizeof(float));
    }
    const int32_t rows = static_cast<int32_t>(count);
    float* h = head_in_.data();
    if (cls_ != nullptr) {
      EDGELLM_RETURN_IF_ERROR(RunLinear(*cls_, h, rows, BiasOf(weights_.cls_b),
                                        head_mid_.data(), pool_));
      for (size_t i = 0; i < count * d; ++i) {
        head_mid_[i] = std::tanh(head_mid_[i]);
      }
      h = head_mid_.data();
    }
    if (cls_out_ != nullptr) {
      return RunLinear(*cls_out_, h, rows, BiasOf(weights_.cls_out_b), out,
                       pool_);
    }
    std::memcpy(out, h, count * d * sizeof(float));
    return absl::OkStatus();
  }
  std::vector<double>& sum = mean_sum_;
  for (size_t s = 0; s < count; ++s) {
    const size_t start = seq_starts_[s], len = seq_starts_[s + 1] - start;
    float* o = out + s * d;
    switch (pooling) {
      case EncoderPooling::kMean: {
        std::fill(sum.begin(), sum.end(), 0.0);
        for (size_t t = start; t < start + len; ++t) {
          for (size_t j = 0; j < d; ++j) sum[j] += x[t * d + j];
        }
        for (size_t j = 0; j < d; ++j) o[j] = static_cast<float>(sum[j] / len);
        break;
      }
      case EncoderPooling::kCls:
        std::memcpy(o, x + start * d, d * sizeof(float));
        break;
      case EncoderPooling::kLast:
        std::memcpy(o, x + (start + len - 1) * d, d * sizeof(float));
        break;
      default:
        return absl::InternalError("unexpected pooling");
    }
    if (normalize) L2Normalize(o, d);
  }
  return absl::OkStatus();
}

}  // namespace edgellm::model
