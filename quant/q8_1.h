// Q8_1: llama.cpp's 8-bit activation format for the Q4_1 and Q5_1 dot
// products (ggml-common.h block_q8_1), byte for byte: 32 int8 values, their
// fp16 scale d and the fp16 block sum s = d * sum(qs), which carries the
// weights' minimum term through the dot product.
#ifndef EDGELLM_QUANT_Q8_1_H_
#define EDGELLM_QUANT_Q8_1_H_

#include <cstdint>

namespace edgellm::quant {

inline constexpr int kQ8_1BlockSize = 32;

struct BlockQ8_1 {
  uint16_t d;  // fp16 scale
  uint16_t s;  // fp16 of d * sum(qs)
  int8_t qs[kQ8_1BlockSize];
};
static_assert(sizeof(BlockQ8_1) == 36, "Q8_1 block must be 36 bytes");

// Activations the way ggml-cpu's x86 quantize_row_q8_1 (its from_float, AVX2
// branch) rounds them: amax = max|x|, d = amax / 127, id = amax != 0 ?
// 127 / amax : 0, q = round_half_even(x * id), s = fp16(d * float(sum q)).
// `k` is a multiple of 32.
void QuantizeRowQ8_1Activations(const float* x, BlockQ8_1* y, int64_t k);

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_Q8_1_H_
