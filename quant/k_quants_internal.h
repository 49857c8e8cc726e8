// Packing steps shared by the K-quant quantizers (internal to quant/).
#ifndef EDGELLM_QUANT_K_QUANTS_INTERNAL_H_
#define EDGELLM_QUANT_K_QUANTS_INTERNAL_H_

#include <cstdint>

#include "quant/q8_k.h"

namespace edgellm::quant::internal {

// Q2_K/Q3_K low bits: each 128 values fill 32 bytes, value l + 32 s of the
// half in bits 2s..2s+1 of byte l.
inline void PackTwoBitLevels(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < kQK_K; j += 128) {
    for (int l = 0; l < 32; ++l) {
      qs[j / 4 + l] =
          static_cast<uint8_t>(L[j + l] | L[j + l + 32] << 2 |
                               L[j + l + 64] << 4 | L[j + l + 96] << 6);
    }
  }
}

// Q4_K/Q5_K: 8 6-bit scales and minimums into 12 bytes (see K4ScaleMin).
inline void PackK4ScaleMins(const uint8_t* ls, const uint8_t* lm,
                            uint8_t scales[12]) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      scales[j] = ls[j];
      scales[j + 4] = lm[j];
    } else {
      scales[j + 4] =
          static_cast<uint8_t>((ls[j] & 0x0f) | (lm[j] & 0x0f) << 4);
      scales[j - 4] |= static_cast<uint8_t>((ls[j] >> 4) << 6);
      scales[j] |= static_cast<uint8_t>((lm[j] >> 4) << 6);
    }
  }
}

}  // namespace edgellm::quant::internal

#endif  // EDGELLM_QUANT_K_QUANTS_INTERNAL_H_
