// The integer form of the block-quantized weight types, as the dot-product
// contract of quant_gemm.h states it (internal to ops/): a block's value i
// is d * scale[i / sub] * level[i] (- dmin * min[i / sub]), with the
// formats' offsets folded into the integers. The reference kernels and the
// tests read blocks through these; fast kernels reach the same integers
// with SIMD shuffles.
#ifndef EDGELLM_OPS_KERNELS_QUANT_LEVELS_H_
#define EDGELLM_OPS_KERNELS_QUANT_LEVELS_H_

#include <cstdint>

#include "quant/fp16.h"
#include "quant/iq4.h"
#include "quant/k_quants.h"
#include "quant/q4_q5.h"

namespace edgellm::ops::kernels {

// --- 32-value blocks: level j of 32 ----------------------------------------

inline int Q4Nibble(const uint8_t* qs, int j) {
  return j < 16 ? qs[j] & 0x0f : qs[j - 16] >> 4;
}

inline void Levels(const quant::BlockQ4_0& b, int8_t* lv) {
  for (int j = 0; j < 32; ++j)
    lv[j] = static_cast<int8_t>(Q4Nibble(b.qs, j) - 8);
}
inline void Levels(const quant::BlockQ4_1& b, int8_t* lv) {
  for (int j = 0; j < 32; ++j) lv[j] = static_cast<int8_t>(Q4Nibble(b.qs, j));
}
inline void Levels(const quant::BlockQ5_0& b, int8_t* lv) {
  const uint32_t qh = quant::Q5HighBits(b.qh);
  for (int j = 0; j < 32; ++j) {
    lv[j] =
        static_cast<int8_t>((Q4Nibble(b.qs, j) | ((qh >> j) & 1) << 4) - 16);
  }
}
inline void Levels(const quant::BlockQ5_1& b, int8_t* lv) {
  const uint32_t qh = quant::Q5HighBits(b.qh);
  for (int j = 0; j < 32; ++j) {
    lv[j] = static_cast<int8_t>(Q4Nibble(b.qs, j) | ((qh >> j) & 1) << 4);
  }
}
inline void Levels(const quant::BlockIQ4_NL& b, int8_t* lv) {
  for (int j = 0; j < 32; ++j) lv[j] = quant::kIq4nlValues[Q4Nibble(b.qs, j)];
}

// --- 256-value super-blocks ------------------------------------------------

struct SuperBlockLevels {
  int8_t level[quant::kQK_K];
  int16_t scale[16];  // per sub-block
  int16_t min[16];    // per sub-block; all 0 for the types without minimums
  int sub;            // values per sub-block: 16 or 32
  float d, dmin;      // dmin 0 for the types without minimums
};

inline void Levels(const quant::BlockQ2_K& b, SuperBlockLevels* s) {
  s->sub = 16;
  s->d = quant::Fp16ToFp32(b.d);
  s->dmin = quant::Fp16ToFp32(b.dmin);
  for (int j = 0; j < 16; ++j) {
    s->scale[j] = b.scales[j] & 0x0f;
    s->min[j] = b.scales[j] >> 4;
  }
  for (int i = 0; i < quant::kQK_K; ++i) {
    const int n = i / 128, r = i % 128;
    s->level[i] =
        static_cast<int8_t>((b.qs[32 * n + r % 32] >> (2 * (r / 32))) & 3);
  }
}

inline void Levels(const quant::BlockQ3_K& b, SuperBlockLevels* s) {
  s->sub = 16;
  s->d = quant::Fp16ToFp32(b.d);
  s->dmin = 0.0f;
  for (int j = 0; j < 16; ++j) {
    s->scale[j] = static_cast<int16_t>(quant::Q3_KScale(b.scales, j) - 32);
    s->min[j] = 0;
  }
  for (int i = 0; i < quant::kQK_K; ++i) {
    const int n = i / 128, r = i % 128;
    const int low = (b.qs[32 * n + r % 32] >> (2 * (r / 32))) & 3;
    const int high = (b.hmask[i % 32] >> (i / 32)) & 1;
    s->level[i] = static_cast<int8_t>(low - (high ? 0 : 4));
  }
}

// Q4_K/Q5_K: low 4 bits of value i; value c * 64 + r sits in byte 32 c +
// r % 32 of qs, low nibble for r < 32.
inline int K4Nibble(const uint8_t* qs, int i) {
  const int c = i / 64, r = i % 64;
  return r < 32 ? qs[32 * c + r] & 0x0f : qs[32 * c + r - 32] >> 4;
}

inline void K4ScalesMins(const uint8_t* scales, SuperBlockLevels* s) {
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    quant::K4ScaleMin(scales, j, &sc, &m);
    s->scale[j] = sc;
    s->min[j] = m;
  }
}

inline void Levels(const quant::BlockQ4_K& b, SuperBlockLevels* s) {
  s->sub = 32;
  s->d = quant::Fp16ToFp32(b.d);
  s->dmin = quant::Fp16ToFp32(b.dmin);
  K4ScalesMins(b.scales, s);
  for (int i = 0; i < quant::kQK_K; ++i) {
    s->level[i] = static_cast<int8_t>(K4Nibble(b.qs, i));
  }
}

inline void Levels(const quant::BlockQ5_K& b, SuperBlockLevels* s) {
  s->sub = 32;
  s->d = quant::Fp16ToFp32(b.d);
  s->dmin = quant::Fp16ToFp32(b.dmin);
  K4ScalesMins(b.scales, s);
  for (int i = 0; i < quant::kQK_K; ++i) {
    const int high = (b.qh[i % 32] >> (i / 32)) & 1;
    s->level[i] = static_cast<int8_t>(K4Nibble(b.qs, i) | high << 4);
  }
}

inline void Levels(const quant::BlockQ6_K& b, SuperBlockLevels* s) {
  s->sub = 16;
  s->d = quant::Fp16ToFp32(b.d);
  s->dmin = 0.0f;
  for (int j = 0; j < 16; ++j) {
    s->scale[j] = b.scales[j];
    s->min[j] = 0;
  }
  for (int i = 0; i < quant::kQK_K; ++i) {
    // Value 128 n + 32 g + l: nibble g / 2 of ql[64 n + 32 (g % 2) + l], bits
    // 2 g of qh[32 n + l].
    const int n = i / 128, g = (i % 128) / 32, l = i % 32;
    const uint8_t ql = b.ql[64 * n + 32 * (g % 2) + l];
    const int low = g < 2 ? ql & 0x0f : ql >> 4;
    const int high = (b.qh[32 * n + l] >> (2 * g)) & 3;
    s->level[i] = static_cast<int8_t>((low | high << 4) - 32);
  }
}

inline void Levels(const quant::BlockIQ4_XS& b, SuperBlockLevels* s) {
  s->sub = 32;
  s->d = quant::Fp16ToFp32(b.d);
  s->dmin = 0.0f;
  for (int j = 0; j < 8; ++j) {
    s->scale[j] = static_cast<int16_t>(quant::IQ4_XSScale(b, j) - 32);
    s->min[j] = 0;
  }
  for (int i = 0; i < quant::kQK_K; ++i) {
    s->level[i] = quant::kIq4nlValues[Q4Nibble(b.qs + 16 * (i / 32), i % 32)];
  }
}

}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_QUANT_LEVELS_H_
