// Q4_0, Q4_1, Q5_0, Q5_1: llama.cpp's 32-value block formats with 4 and 5
// bits per weight, byte for byte (ggml-common.h block_q4_0 ... block_q5_1).
//
// Value i of a block (i < 16 from the low nibbles of qs[i], i >= 16 from the
// high nibbles of qs[i - 16]; Q5 types add bit i of the little-endian
// uint32 qh as the fifth bit):
//   Q4_0: d * (q - 8)       Q4_1: d * q + m
//   Q5_0: d * (q - 16)      Q5_1: d * q + m
// with d and m stored as fp16, computed in float32 in that order (ggml's
// dequantize_row_q4_0 ...).
//
// Quantization is ggml's reference (quantize_row_q4_0_ref ...), which is what
// llama-quantize runs for these types without an importance matrix:
//   Q4_0/Q5_0: the value of largest magnitude m (the first if tied) gives
//   d = m / -8 (-16), q = min(15 (31), trunc(x / d + 8.5 (16.5))).
//   Q4_1/Q5_1: d = (max - min) / 15 (31), m = min,
//   q = trunc((x - min) / d + 0.5), at most 15 for Q4_1.
#ifndef EDGELLM_QUANT_Q4_Q5_H_
#define EDGELLM_QUANT_Q4_Q5_H_

#include <cstddef>
#include <cstdint>

namespace edgellm::quant {

inline constexpr int kQ4Q5BlockSize = 32;

struct BlockQ4_0 {
  uint16_t d;      // fp16 scale
  uint8_t qs[16];  // nibbles
};
struct BlockQ4_1 {
  uint16_t d, m;  // fp16 scale and minimum
  uint8_t qs[16];
};
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];  // fifth bits, little-endian uint32
  uint8_t qs[16];
};
struct BlockQ5_1 {
  uint16_t d, m;
  uint8_t qh[4];
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 &&
                  sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24,
              "block sizes must match ggml-common.h");

// `k` is a multiple of 32 in all of these.
void QuantizeRowQ4_0(const float* x, BlockQ4_0* y, int64_t k);
void QuantizeRowQ4_1(const float* x, BlockQ4_1* y, int64_t k);
void QuantizeRowQ5_0(const float* x, BlockQ5_0* y, int64_t k);
void QuantizeRowQ5_1(const float* x, BlockQ5_1* y, int64_t k);

void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, int64_t k);
void DequantizeRowQ4_1(const BlockQ4_1* x, float* y, int64_t k);
void DequantizeRowQ5_0(const BlockQ5_0* x, float* y, int64_t k);
void DequantizeRowQ5_1(const BlockQ5_1* x, float* y, int64_t k);

// The fifth bits of a Q5 block as one integer (bit i belongs to value i).
inline uint32_t Q5HighBits(const uint8_t qh[4]) {
  return uint32_t{qh[0]} | uint32_t{qh[1]} << 8 | uint32_t{qh[2]} << 16 |
         uint32_t{qh[3]} << 24;
}

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_Q4_Q5_H_
