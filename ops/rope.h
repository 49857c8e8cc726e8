// Rotary position embedding (Su et al. 2021, RoFormer).
//
// For pair i (0 <= i < rot_dims/2) of a head at position p the angle is
//   theta_i(p) = freq_scale * (p * theta_scale^i / freq_factors[i]),
//   theta_scale = powf(freq_base, -2 / rot_dims),
// computed as llama.cpp's ggml_rope_cache_init and rope_yarn (without YaRN's
// extrapolation mix) do: theta starts at float(p) and is multiplied by
// theta_scale once per pair (so the rounding matches), then
//   c = cosf(theta) * attn_factor,  s = sinf(theta) * attn_factor,
// and the pair (a, b) becomes (a c - b s, a s + b c). freq_scale < 1 is
// linear position interpolation (Chen et al. 2023; GGUF
// rope.scaling.type "linear", freq_scale = 1 / rope.scaling.factor);
// attn_factor is LongRoPE's magnitude scaling (rope.scaling.attn_factor),
// which reaches only the rotated dims.
//
// Layouts (which two values form pair i of a head):
//   kNormal  (2i, 2i+1): llama.cpp LLAMA_ROPE_TYPE_NORM, llama2.c, Llama.
//   kNeox    (i, i + rot_dims/2): llama.cpp LLAMA_ROPE_TYPE_NEOX, Qwen2,
//            GPT-NeoX, HF's rotate_half.
// Values at index >= rot_dims of a head are left as they are (partial rotary).
//
// Llama 3 context scaling is a per-pair freq_factors table, the same table
// llama.cpp reads from a GGUF's rope_freqs.weight; Llama3RopeFreqFactors
// computes it from the config.
#ifndef EDGELLM_OPS_ROPE_H_
#define EDGELLM_OPS_ROPE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "ops/thread_pool.h"

namespace edgellm::ops {

enum class RopeLayout { kNormal, kNeox };

struct RopeConfig {
  size_t head_dim = 0;
  size_t rot_dims = 0;  // even, <= head_dim; usually == head_dim
  float freq_base = 10000.0f;
  RopeLayout layout = RopeLayout::kNormal;
  // Empty (all 1) or rot_dims/2 divisors of the angle, e.g. from
  // Llama3RopeFreqFactors, a GGUF rope_freqs tensor or LongRoPE's
  // rope_factors_{short,long}. Not owned.
  const float* freq_factors = nullptr;
  float freq_scale = 1.0f;   // multiplies every angle (linear scaling)
  float attn_factor = 1.0f;  // multiplies cos and sin
};

// The largest rot_dims Rope() supports (its cos/sin cache is on the stack).
inline constexpr size_t kMaxRopeDims = 1024;

// Llama 3 "rope_scaling" (rope_type "llama3") as per-pair divisors, following
// Meta's reference and llama.cpp's convert_hf_to_gguf.py: with
// freq_i = base^(-2i/rot_dims) and wavelen = 2*pi/freq_i,
//   wavelen < orig_max/high_freq_factor -> 1
//   wavelen > orig_max/low_freq_factor  -> factor
//   otherwise, smooth = (orig_max/wavelen - low) / (high - low),
//                       1 / ((1 - smooth)/factor + smooth).
std::vector<float> Llama3RopeFreqFactors(size_t rot_dims, float freq_base,
                                         float factor, float low_freq_factor,
                                         float high_freq_factor,
                                         float original_max_positions);

// Rotates in place `n_tokens` rows of `n_heads` heads; row t starts at
// x + t * row_stride (>= n_heads * head_dim floats) and is at position
// pos0 + t. Returns InvalidArgument for a bad config. Calling thread only.
absl::Status RopeRef(const RopeConfig& config, float* x, size_t n_tokens,
                     size_t n_heads, size_t row_stride, int64_t pos0);

// Same results as RopeRef (bit for bit): the cos/sin of a token are computed
// once for all its heads, tokens split over `pool`.
absl::Status Rope(const RopeConfig& config, float* x, size_t n_tokens,
                  size_t n_heads, size_t row_stride, int64_t pos0,
                  ThreadPool* pool);

// The cos/sin that Rope computes for position positions[t], for every t:
// rot_dims floats per position at cs + t * rot_dims (cos of pair i, then its
// sin). Computed once, they serve every call of the same config at those
// positions (a decoder's q and k, and all its layers of one RoPE base): the
// cosf/sinf calls cost more than the rotations. Tokens split over `pool`.
absl::Status RopeCosSinTable(const RopeConfig& config,
                             absl::Span<const int64_t> positions, float* cs,
                             ThreadPool* pool);

// Rope with the cos/sin of row t's position read from cs + t * rot_dims
// (RopeCosSinTable's layout): the same results as Rope at those positions,
// bit for bit.
absl::Status RopeWithTable(const RopeConfig& config, const float* cs, float* x,
                           size_t n_tokens, size_t n_heads, size_t row_stride,
                           ThreadPool* pool);

}  // namespace edgellm::ops

#endif  // EDGELLM_OPS_ROPE_H_
