// The K-quants Q2_K, Q3_K, Q4_K, Q5_K, Q6_K: llama.cpp's 256-value
// super-block formats, byte for byte (ggml-common.h block_q2_K ...).
//
// A super-block holds 16 (Q2_K, Q3_K, Q6_K) or 8 (Q4_K, Q5_K) sub-blocks,
// each with a small integer scale (and for Q2_K/Q4_K/Q5_K a minimum) that
// multiplies one fp16 super-block scale d (and dmin). Value of sub-block j
// (all in float32, in this order, as ggml's dequantize_row_*):
//   Q2_K: (d * sc_j) * q - (dmin * m_j)      q in 0..3,  sc, m 4-bit
//   Q3_K: (d * (sc_j - 32)) * (q - 4)        q in 0..7,  sc 6-bit
//   Q4_K: (d * sc_j) * q - (dmin * m_j)      q in 0..15, sc, m 6-bit
//   Q5_K: (d * sc_j) * q - (dmin * m_j)      q in 0..31, sc, m 6-bit
//   Q6_K: (d * sc_j) * (q - 32)              q in 0..63, sc int8
//
// Quantization is ggml's reference (quantize_row_q2_K_ref ...), which is
// what llama-quantize runs for these types without an importance matrix;
// the searches are in k_quant_search.h.
#ifndef EDGELLM_QUANT_K_QUANTS_H_
#define EDGELLM_QUANT_K_QUANTS_H_

#include <cstdint>

#include "quant/q8_k.h"  // kQK_K

namespace edgellm::quant {

struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];  // low nibble scale, high nibble minimum
  uint8_t qs[kQK_K / 4];       // 2-bit levels
  uint16_t d, dmin;            // fp16
};
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];  // third bits
  uint8_t qs[kQK_K / 4];     // low 2 bits
  uint8_t scales[12];        // 16 6-bit scales
  uint16_t d;
};
struct BlockQ4_K {
  uint16_t d, dmin;
  uint8_t scales[12];  // 8 6-bit scales and 8 6-bit minimums
  uint8_t qs[kQK_K / 2];
};
struct BlockQ5_K {
  uint16_t d, dmin;
  uint8_t scales[12];
  uint8_t qh[kQK_K / 8];  // fifth bits
  uint8_t qs[kQK_K / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];  // low 4 bits
  uint8_t qh[kQK_K / 4];  // high 2 bits
  int8_t scales[kQK_K / 16];
  uint16_t d;
};
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 &&
                  sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176 &&
                  sizeof(BlockQ6_K) == 210,
              "block sizes must match ggml-common.h");

// `k` is a multiple of 256 in all of these.
void QuantizeRowQ2_K(const float* x, BlockQ2_K* y, int64_t k);
void QuantizeRowQ3_K(const float* x, BlockQ3_K* y, int64_t k);
void QuantizeRowQ4_K(const float* x, BlockQ4_K* y, int64_t k);
void QuantizeRowQ5_K(const float* x, BlockQ5_K* y, int64_t k);
void QuantizeRowQ6_K(const float* x, BlockQ6_K* y, int64_t k);

void DequantizeRowQ2_K(const BlockQ2_K* x, float* y, int64_t k);
void DequantizeRowQ3_K(const BlockQ3_K* x, float* y, int64_t k);
void DequantizeRowQ4_K(const BlockQ4_K* x, float* y, int64_t k);
void DequantizeRowQ5_K(const BlockQ5_K* x, float* y, int64_t k);
void DequantizeRowQ6_K(const BlockQ6_K* x, float* y, int64_t k);

// Scale j (0..15) of a Q3_K block, as stored (0..63; the value is sc - 32).
inline int Q3_KScale(const uint8_t scales[12], int j) {
  const int low = j < 8 ? scales[j] & 0x0f : scales[j - 8] >> 4;
  const int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
  return low | high << 4;
}

// Scale and minimum of sub-block j (0..7) of a Q4_K/Q5_K block (ggml's
// get_scale_min_k4): j < 4 in the low 6 bits of bytes j and j + 4; j >= 4
// split over byte j + 4 (low 4 bits) and the top 2 bits of bytes j - 4 / j.
inline void K4ScaleMin(const uint8_t scales[12], int j, uint8_t* sc,
                       uint8_t* m) {
  if (j < 4) {
    *sc = scales[j] & 63;
    *m = scales[j + 4] & 63;
  } else {
    *sc = static_cast<uint8_t>((scales[j + 4] & 0x0f) | (scales[j - 4] >> 6)
                                                            << 4);
    *m = static_cast<uint8_t>((scales[j + 4] >> 4) | (scales[j] >> 6) << 4);
  }
}

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_K_QUANTS_H_
