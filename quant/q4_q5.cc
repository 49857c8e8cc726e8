#include "quant/q4_q5.h"

#include <cfloat>
#include <cmath>

#include "quant/fp16.h"
#include "quant/rounding.h"

namespace edgellm::quant {
namespace {

constexpr int kHalf = kQ4Q5BlockSize / 2;

// The value of largest magnitude (the first one if tied), as ggml's
// symmetric quantizers pick it.
float SignedMax(const float* x) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < kQ4Q5BlockSize; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void MinMax(const float* x, float* min, float* max) {
  *min = FLT_MAX;
  *max = -FLT_MAX;
  for (int j = 0; j < kQ4Q5BlockSize; ++j) {
    if (x[j] < *min) *min = x[j];
    if (x[j] > *max) *max = x[j];
  }
}

// Symmetric 4/5-bit levels: q[j] = min(levels - 1, trunc(x * id + levels/2
// + 0.5)).
template <int kLevels>
void SymmetricLevels(const float* x, float id, uint8_t* q) {
  constexpr float kOffset = kLevels / 2 + 0.5f;
  for (int j = 0; j < kQ4Q5BlockSize; ++j) {
    q[j] = static_cast<uint8_t>(TruncAtMost(x[j] * id + kOffset, kLevels - 1));
  }
}

template <int kLevels>
void AffineLevels(const float* x, float min, float id, uint8_t* q) {
  for (int j = 0; j < kQ4Q5BlockSize; ++j) {
    q[j] = static_cast<uint8_t>(
        TruncAtMost((x[j] - min) * id + 0.5f, kLevels - 1));
  }
}

void PackNibbles(const uint8_t* q, uint8_t* qs) {
  for (int j = 0; j < kHalf; ++j) {
    qs[j] = static_cast<uint8_t>((q[j] & 0x0f) | (q[j + kHalf] & 0x0f) << 4);
  }
}

void PackHighBits(const uint8_t* q, uint8_t* qh) {
  uint32_t h = 0;
  for (int j = 0; j < kQ4Q5BlockSize; ++j) h |= uint32_t{(q[j] >> 4) & 1u} << j;
  for (int b = 0; b < 4; ++b) qh[b] = static_cast<uint8_t>(h >> (8 * b));
}

// Level j of a block: its nibble, plus the fifth bit for the Q5 types.
int Nibble(const uint8_t* qs, int j) {
  return j < kHalf ? qs[j] & 0x0f : qs[j - kHalf] >> 4;
}

}  // namespace

void QuantizeRowQ4_0(const float* x, BlockQ4_0* y, int64_t k) {
  for (int64_t b = 0; b < k / kQ4Q5BlockSize; ++b) {
    const float* xb = x + b * kQ4Q5BlockSize;
    const float d = SignedMax(xb) / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = Fp32ToFp16(d);
    uint8_t q[kQ4Q5BlockSize];
    SymmetricLevels<16>(xb, id, q);
    PackNibbles(q, y[b].qs);
  }
}

void QuantizeRowQ4_1(const float* x, BlockQ4_1* y, int64_t k) {
  for (int64_t b = 0; b < k / kQ4Q5BlockSize; ++b) {
    const float* xb = x + b * kQ4Q5BlockSize;
    float min, max;
    MinMax(xb, &min, &max);
    const float d = (max - min) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = Fp32ToFp16(d);
    y[b].m = Fp32ToFp16(min);
    uint8_t q[kQ4Q5BlockSize];
    AffineLevels<16>(xb, min, id, q);
    PackNibbles(q, y[b].qs);
  }
}

void QuantizeRowQ5_0(const float* x, BlockQ5_0* y, int64_t k) {
  for (int64_t b = 0; b < k / kQ4Q5BlockSize; ++b) {
    const float* xb = x + b * kQ4Q5BlockSize;
    const float d = SignedMax(xb) / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = Fp32ToFp16(d);
    uint8_t q[kQ4Q5BlockSize];
    SymmetricLevels<32>(xb, id, q);
    PackNibbles(q, y[b].qs);
    PackHighBits(q, y[b].qh);
  }
}

void QuantizeRowQ5_1(const float* x, BlockQ5_1* y, int64_t k) {
  for (int64_t b = 0; b < k / kQ4Q5BlockSize; ++b) {
    const float* xb = x + b * kQ4Q5BlockSize;
    float min, max;
    MinMax(xb, &min, &max);
    const float d = (max - min) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[b].d = Fp32ToFp16(d);
    y[b].m = Fp32ToFp16(min);
    uint8_t q[kQ4Q5BlockSize];
    AffineLevels<32>(xb, min, id, q);
    PackNibbles(q, y[b].qs);
    PackHighBits(q, y[b].qh);
  }
}

void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / kQ4Q5BlockSize; ++b) {
    const float d = Fp16ToFp32(x[b].d);
    for (int j = 0; j < kQ4Q5BlockSize; ++j) {
      y[b * kQ4Q5BlockSize + j] = (Nibble(x[b].qs, j) - 8) * d;
    }
  }
}

void DequantizeRowQ4_1(const BlockQ4_1* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / kQ4Q5BlockSize; ++b) {
    const float d = Fp16ToFp32(x[b].d);
    const float m = Fp16ToFp32(x[b].m);
    for (int j = 0; j < kQ4Q5BlockSize; ++j) {
      y[b * kQ4Q5BlockSize + j] = Nibble(x[b].qs, j) * d + m;
    }
  }
}

void DequantizeRowQ5_0(const BlockQ5_0* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / kQ4Q5BlockSize; ++b) {
    const float d = Fp16ToFp32(x[b].d);
    const uint32_t qh = Q5HighBits(x[b].qh);
    for (int j = 0; j < kQ4Q5BlockSize; ++j) {
      const int q = Nibble(x[b].qs, j) | ((qh >> j) & 1) << 4;
      y[b * kQ4Q5BlockSize + j] = (q - 16) * d;
    }
  }
}

void DequantizeRowQ5_1(const BlockQ5_1* x, float* y, int64_t k) {
  for (int64_t b = 0; b < k / kQ4Q5BlockSize; ++b) {
    const float d = Fp16ToFp32(x[b].d);
    const float m = Fp16ToFp32(x[b].m);
    const uint32_t qh = Q5HighBits(x[b].qh);
    for (int j = 0; j < kQ4Q5BlockSize; ++j) {
      const int q = Nibble(x[b].qs, j) | ((qh >> j) & 1) << 4;
      y[b * kQ4Q5BlockSize + j] = q * d + m;
    }
  }
}

}  // namespace edgellm::quant
