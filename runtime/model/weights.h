// The model's weight tensors, bound by name from a GGUF file and checked
// against the config. Views into the mapped file: nothing is copied here.
//
// Tensor names and shapes are llama.cpp's (GGUF dims order, dims[0] = row
// length): token_embd.weight {d, vocab}, blk.N.attn_q.weight {d, q_dim}, ...
#ifndef EDGELLM_RUNTIME_MODEL_WEIGHTS_H_
#define EDGELLM_RUNTIME_MODEL_WEIGHTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/gguf/gguf.h"
#include "runtime/model/config.h"

namespace edgellm::model {

// A 2-D weight [rows][cols] (cols = GGUF dims[0]) or a 1-D vector (rows 1).
struct Tensor {
  std::string name;
  gguf::TensorType type = gguf::TensorType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  const uint8_t* data = nullptr;
  uint64_t size_bytes = 0;
  bool present() const { return data != nullptr; }
  const float* f32() const { return reinterpret_cast<const float*>(data); }
};

struct LayerWeights {
  Tensor attn_norm;  // {d}
  // [q_dim][d], [kv_dim][d] x2, [d][q_dim]. With a fused attn_qkv (phi3),
  // wq, wk, wv are views of its three row ranges.
  Tensor wq, wk, wv, wo;
  Tensor bq, bk, bv;                // qkv_bias: {q_dim}, {kv_dim} x2
  Tensor attn_q_norm, attn_k_norm;  // qk_norm: {head_dim} each
  Tensor post_attention_norm;       // post_norms: {d}
  Tensor ffn_norm;                  // {d}
  // [ff][d] x2, [d][ff]. With a fused ffn_up (phi3: gate rows, then up
  // rows), w_gate and w_up are views of its two halves.
  Tensor w_gate, w_up, w_down;
  Tensor post_ffw_norm;  // post_norms: {d}
};

struct ModelWeights {
  Tensor token_embd;  // [vocab][d]
  std::vector<LayerWeights> layers;
  Tensor output_norm;  // {d}
  Tensor output;       // [vocab][d]; the token_embd view when tied
  // Optional {rope_dimension_count / 2}: per-pair RoPE divisors (Llama 3.1+
  // context scaling as llama.cpp's converter writes it).
  Tensor rope_freqs;
  // LongRoPE (phi3), optional {rope_dimension_count / 2} each: the divisors
  // for contexts up to rope.scaling.original_context_length and beyond.
  Tensor rope_factors_short, rope_factors_long;
};

// Binds and validates every tensor the config needs: presence, shape, and a
// type we can compute with (matrices: F32, F16, BF16 and every block type of
// quant/type_traits.h; vectors: F32).
absl::StatusOr<ModelWeights> BindWeights(const gguf::GgufFile& file,
                                         const ModelConfig& config);

// One tensor bound and checked as BindWeights does: `rows` x `cols` (GGUF
// dims {cols, rows}) of a matrix type, or for rows == 1 a {cols} f32 vector.
// An absent `optional` tensor gives a Tensor without data. For other model
// classes (the encoder) that bind their own tensor sets.
absl::StatusOr<Tensor> BindTensor(const gguf::GgufFile& file,
                                  const std::string& name, int64_t rows,
                                  int64_t cols, bool optional = false);

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_WEIGHTS_H_
