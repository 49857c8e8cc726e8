// Q8_K: llama.cpp's 8-bit activation format for the K-quant and IQ4_XS dot
// products (ggml-common.h block_q8_K), byte for byte: 256 int8 values, a
// float32 scale and the sums of each 16 values, which carry the weights'
// minimum (or offset) terms through the dot product.
#ifndef EDGELLM_QUANT_Q8_K_H_
#define EDGELLM_QUANT_Q8_K_H_

#include <cstdint>

namespace edgellm::quant {

inline constexpr int kQK_K = 256;  // values per K-quant super-block

struct BlockQ8_K {
  float d;                    // scale (negative when the largest value is > 0)
  int8_t qs[kQK_K];           // quantized values
  int16_t bsums[kQK_K / 16];  // sum of each 16 qs
};
static_assert(sizeof(BlockQ8_K) == 292, "Q8_K block must be 292 bytes");

// ggml's quantize_row_q8_K_ref, which is also ggml-cpu's from_float for Q8_K
// on x86: m = the value of largest magnitude (the first if tied),
// iscale = -127 / m, q = min(127, round_half_even(iscale * x)), d = 1/iscale.
// An all-zero block is d = 0 with zero values and sums. `k` is a multiple of
// 256.
void QuantizeRowQ8_K(const float* x, BlockQ8_K* y, int64_t k);

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_Q8_K_H_
