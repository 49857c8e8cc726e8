// IQ4_NL and IQ4_XS: llama.cpp's non-linear 4-bit formats, byte for byte
// (ggml-common.h block_iq4_nl, block_iq4_xs). Each nibble indexes the table
// kIq4nlValues (ggml's kvalues_iq4nl); value = d * table[q] for IQ4_NL
// (32-value blocks), (d * (ls - 32)) * table[q] for IQ4_XS (256-value
// super-blocks of 8 sub-blocks with 6-bit scales ls).
//
// Quantization is what llama-quantize runs without an importance matrix
// (ggml's quantize_iq4_nl / quantize_iq4_xs, which weight each value by x^2
// and try 15 scales per 32 values).
#ifndef EDGELLM_QUANT_IQ4_H_
#define EDGELLM_QUANT_IQ4_H_

#include <cstdint>

#include "quant/q8_k.h"  // kQK_K

namespace edgellm::quant {

inline constexpr int kIq4nlBlockSize = 32;

inline constexpr int8_t kIq4nlValues[16] = {
    -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

struct BlockIQ4_NL {
  uint16_t d;  // fp16
  uint8_t qs[kIq4nlBlockSize / 2];
};
struct BlockIQ4_XS {
  uint16_t d;
  uint16_t scales_h;             // top 2 bits of the 8 scales
  uint8_t scales_l[kQK_K / 64];  // low 4 bits
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockIQ4_NL) == 18 && sizeof(BlockIQ4_XS) == 136,
              "block sizes must match ggml-common.h");

// `k` a multiple of 32 (IQ4_NL) or 256 (IQ4_XS).
void QuantizeRowIQ4_NL(const float* x, BlockIQ4_NL* y, int64_t k);
void QuantizeRowIQ4_XS(const float* x, BlockIQ4_XS* y, int64_t k);
void DequantizeRowIQ4_NL(const BlockIQ4_NL* x, float* y, int64_t k);
void DequantizeRowIQ4_XS(const BlockIQ4_XS* x, float* y, int64_t k);

// The 6-bit scale of sub-block ib (0..7) of an IQ4_XS block, as stored
// (the value is ls - 32).
inline int IQ4_XSScale(const BlockIQ4_XS& b, int ib) {
  return ((b.scales_l[ib / 2] >> (4 * (ib % 2))) & 0x0f) |
         ((b.scales_h >> (2 * ib)) & 3) << 4;
}

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_IQ4_H_
