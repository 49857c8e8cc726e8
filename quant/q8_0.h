// Q8_0: llama.cpp's 8-bit block format, byte for byte.
//
// A row of K values (K a multiple of 32) is stored as K/32 blocks; each block
// is one fp16 scale `d` followed by 32 int8 values `qs`, 34 bytes, no padding
// (ggml-common.h, block_q8_0). Value i of a block is d * qs[i].
//
// Quantization (as ggml's quantize_row_q8_0_ref): amax = max |x|,
// d = amax / 127, qs[i] = round(x[i] / d) (round half away from zero), with
// d stored as fp16. Error bound, per value: |x - d16*q| <= d/2 + 127*|d - d16|
// where d16 is d rounded to fp16. While d is a normal fp16 (amax >= 127 *
// 2^-14 ~= 0.0078) |d - d16| <= 2^-11 * d, so
// |x - x'| <= amax * (1/254 + 2^-11) ~= 0.00443 * amax of its block. Below
// that, d16 is an fp16 subnormal with absolute error <= 2^-25, which adds at
// most 127 * 2^-25 ~= 3.8e-6 (kQ8_0MaxAbsoluteError).
#ifndef EDGELLM_QUANT_Q8_0_H_
#define EDGELLM_QUANT_Q8_0_H_

#include <cstddef>
#include <cstdint>

namespace edgellm::quant {

inline constexpr int kQ8_0BlockSize = 32;

struct BlockQ8_0 {
  uint16_t d;                 // fp16 scale
  int8_t qs[kQ8_0BlockSize];  // quantized values
};
static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block must be 34 bytes");

// Bytes of a Q8_0 row of `k` values; `k` must be a multiple of 32.
inline constexpr size_t Q8_0RowBytes(size_t k) {
  return k / kQ8_0BlockSize * sizeof(BlockQ8_0);
}

// The documented worst-case absolute error of one value, relative to the
// largest magnitude in its block.
inline constexpr double kQ8_0MaxRelativeError = 1.0 / 254.0 + 1.0 / 2048.0;
// The absolute part of the bound for tiny blocks (fp16-subnormal scales):
// |x - x'| <= amax * kQ8_0MaxRelativeError + kQ8_0MaxAbsoluteError.
inline constexpr double kQ8_0MaxAbsoluteError = 127.0 / (1 << 25);

// Quantizes `k` floats (k % 32 == 0) into k/32 blocks.
void QuantizeRowQ8_0(const float* x, BlockQ8_0* y, size_t k);

// Dequantizes k/32 blocks into `k` floats.
void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, size_t k);

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_Q8_0_H_
