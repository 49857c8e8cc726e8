// Q4_0, Q5_0, Q4_K, Q5_K and Q6_K GEMM for ARMv8.6-A FEAT_I8MM (Graviton 3/4,
// Neoverse V1/V2/N2, Cortex-A710 and later) for prompt batches.
//
// SMMLA (vmmlaq_s32(acc, a, b)) reads a as a 2x8 int8 matrix (row i = bytes
// 8i..8i+7) and b as an 8x2 one (column j = bytes 8j..8j+7) and adds the 2x2
// int32 product to acc, row-major: acc += [a0.b0, a0.b1, a1.b0, a1.b1]
// (Arm A64 ISA, SMMLA (vector); ACLE vmmlaq_s32). With the int8 levels of
// two weight rows as a and the activations of two batch rows as b, the
// SMMLAs over a sub-block give its exact int32 sums for the four (row, batch
// row) pairs, one per lane; the sub-block scales multiply them lane by lane
// into isum (the contract of quant_gemm.h), and the scale products and fmas
// are one vector operation per 2x2 output tile.
//
// Each weight block is first widened to its int8 levels (and int16 scales
// and minimums) in a small buffer, once per row and block for the whole
// batch tile, by the NEON shifts and masks of quant_gemm_neon_inl.h's
// kernels; the activations are Q8_0/Q8_K blocks, int8 already.
//
// A batch of one (decoding) would waste half of every SMMLA on a padding
// column, so it takes the dotprod loop instead: every FEAT_I8MM CPU has
// FEAT_DotProd (the dispatcher checks both).
#include <arm_neon.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "ops/kernels/quant_gemm.h"
#include "ops/kernels/quant_gemm_neon_inl.h"
#include "ops/kernels/quant_gemm_neon_pack16_inl.h"

namespace edgellm::ops::kernels {
namespace {

struct QuantDotI8mmSdot {
  static int32x4_t Mla(int32x4_t acc, int8x16_t a, int8x16_t b) {
    return vdotq_s32(acc, a, b);
  }
};

// A weight block as integers: value i is level[i] * scale[i / sub]
// (- min[i / sub] through the activation sums).
struct DecodedI8mm {
  int8_t level[quant::kQK_K];
  int16_t scale[16];
  int16_t min[8];
};

// Block w's levels, scales and minimums into d, through the same widening
// as the dotprod loops (T::Widen, quant_gemm_neon_inl.h).
template <typename T>
inline void DecodeI8mm(const typename T::Block& w, DecodedI8mm* d) {
  constexpr int kSubs = T::kValues / T::kSub;
  T::Widen(w, [&](int v, int8x16_t lv) { vst1q_s8(d->level + v, lv); });
  if constexpr (kSubs > 1) {
    int16x8_t sc[kSubs / 8], mn;
    T::ScalesMins(w, sc, &mn);
#pragma GCC unroll 2
    for (int i = 0; i < kSubs / 8; ++i) vst1q_s16(d->scale + 8 * i, sc[i]);
    if constexpr (T::kHasMin) vst1q_s16(d->min, mn);
  }
}

// --- The tile ----------------------------------------------------------------

// SMMLA operands of 16 values of two rows p and q: [p0-7, q0-7],
// [p8-15, q8-15].
inline void PairOperandsI8mm(const int8_t* p, const int8_t* q, int8x16_t* m0,
                             int8x16_t* m1) {
  const int64x2_t a = vreinterpretq_s64_s8(vld1q_s8(p));
  const int64x2_t b = vreinterpretq_s64_s8(vld1q_s8(q));
  *m0 = vreinterpretq_s8_s64(vzip1q_s64(a, b));
  *m1 = vreinterpretq_s8_s64(vzip2q_s64(a, b));
}

// The exact int32 sums of sub-block values [v, v + kSub) of weight rows
// (p, q) and batch rows (s, t): [p.s, p.t, q.s, q.t].
template <int kSub>
inline int32x4_t SubSumsI8mm(const int8_t* wp, const int8_t* wq,
                             const int8_t* xs, const int8_t* xt) {
  int32x4_t acc = vdupq_n_s32(0);
#pragma GCC unroll 2
  for (int i = 0; i < kSub; i += 16) {
    int8x16_t w0, w1, x0, x1;
    PairOperandsI8mm(wp + i, wq + i, &w0, &w1);
    PairOperandsI8mm(xs + i, xt + i, &x0, &x1);
    acc = vmmlaq_s32(vmmlaq_s32(acc, w0, x0), w1, x1);
  }
  return acc;
}

// Two lanes of a, then two of b.
inline int32x4_t PairLanesI8mm(int32_t a, int32_t b) {
  return vcombine_s32(vdup_n_s32(a), vdup_n_s32(b));
}

// The 8 sub-block sums of a Q8_K block's activations (bsums 2j + 2j+1; each
// fits int16: |sum| <= 32 * 128).
inline int16x8_t SubBlockSumsI8mm(const quant::BlockQ8_K& x) {
  return vpaddq_s16(vld1q_s16(x.bsums), vld1q_s16(x.bsums + 8));
}

// The exact minimum sums sum_j min[j] * (activation sum of sub-block j) of
// rows (p, q) and batch rows (s, t), in SMMLA's lane order [p.s, p.t, q.s,
// q.t].
inline int32x4_t MinSums2x2I8mm(const int16_t* min_p, const int16_t* min_q,
                                int16x8_t sums_s, int16x8_t sums_t) {
  const int16x8_t mp = vld1q_s16(min_p), mq = vld1q_s16(min_q);
  const auto dot8 = [](int16x8_t m, int16x8_t s) {
    return vmlal_high_s16(vmull_s16(vget_low_s16(m), vget_low_s16(s)), m, s);
  };
  return LaneSums4(dot8(mp, sums_s), dot8(mp, sums_t), dot8(mq, sums_s),
                   dot8(mq, sums_t));
}

// Rows o..o+rows-1 (rows <= 2 * kRowPairs) times batch rows b..b+cols-1
// (cols <= 2 * kBatchPairs). Missing rows/columns repeat the last real one
// (no read past the operands) and their outputs are dropped. acc[p][q] lane
// 2i+j holds (row 2p+i, batch row 2q+j): its own fma chain over blocks in
// order from +0, as the contract has it (macc likewise). The loops over
// pairs are fully unrolled so the accumulators stay in registers.
template <typename T, int kRowPairs, int kBatchPairs>
void TileI8mm(const QuantGemmArgs& a, size_t o, size_t rows, size_t b,
              size_t cols) {
  constexpr int kRows = 2 * kRowPairs, kCols = 2 * kBatchPairs;
  constexpr int kSubs = T::kValues / T::kSub;
  const typename T::Block* w[kRows];
  for (int i = 0; i < kRows; ++i) {
    w[i] = QuantWeightRow<T>(a, o + std::min<size_t>(i, rows - 1));
  }
  const typename T::XBlock* x[kCols];
  for (int j = 0; j < kCols; ++j) {
    x[j] = QuantActivationRow<T>(a, b + std::min<size_t>(j, cols - 1));
  }
  float32x4_t acc[kRowPairs][kBatchPairs], macc[kRowPairs][kBatchPairs];
#pragma GCC unroll 2
  for (int p = 0; p < kRowPairs; ++p) {
#pragma GCC unroll 2
    for (int q = 0; q < kBatchPairs; ++q) {
      acc[p][q] = vdupq_n_f32(0.0f);
      macc[p][q] = vdupq_n_f32(0.0f);
    }
  }
  DecodedI8mm dec[kRows];
  for (size_t k = 0; k < a.n_blocks; ++k) {
#pragma GCC unroll 4
    for (int i = 0; i < kRows; ++i) DecodeI8mm<T>(w[i][k], &dec[i]);
    int32x4_t isum[kRowPairs][kBatchPairs];
#pragma GCC unroll 2
    for (int p = 0; p < kRowPairs; ++p) {
#pragma GCC unroll 2
      for (int q = 0; q < kBatchPairs; ++q) isum[p][q] = vdupq_n_s32(0);
    }
    for (int j = 0; j < kSubs; ++j) {
      const int v = j * T::kSub;
#pragma GCC unroll 2
      for (int p = 0; p < kRowPairs; ++p) {
#pragma GCC unroll 2
        for (int q = 0; q < kBatchPairs; ++q) {
          const int32x4_t s = SubSumsI8mm<T::kSub>(
              dec[2 * p].level + v, dec[2 * p + 1].level + v,
              x[2 * q][k].qs + v, x[2 * q + 1][k].qs + v);
          if constexpr (kSubs == 1) {  // Q4_0: one sub-block, no scale
            isum[p][q] = s;
          } else {
            const int32x4_t sc =
                PairLanesI8mm(dec[2 * p].scale[j], dec[2 * p + 1].scale[j]);
            isum[p][q] = vmlaq_s32(isum[p][q], s, sc);
          }
        }
      }
    }
    // Lane 2i+j: d_w(row 2p+i) * d_x(batch row 2q+j), one f32 rounding.
    float xs[kCols];
#pragma GCC unroll 4
    for (int j = 0; j < kCols; ++j) xs[j] = T::XScale(x[j][k]);
    int16x8_t xsums[kCols];
    if constexpr (T::kHasMin) {
#pragma GCC unroll 4
      for (int j = 0; j < kCols; ++j) xsums[j] = SubBlockSumsI8mm(x[j][k]);
    }
#pragma GCC unroll 2
    for (int p = 0; p < kRowPairs; ++p) {
      const float32x4_t dw =
          QuantHalf4ToFloatNeon(T::D(w[2 * p][k]), T::D(w[2 * p][k]),
                                T::D(w[2 * p + 1][k]), T::D(w[2 * p + 1][k]));
#pragma GCC unroll 2
      for (int q = 0; q < kBatchPairs; ++q) {
        const float32x2_t dx2 = vld1_f32(xs + 2 * q);
        const float32x4_t dx = vcombine_f32(dx2, dx2);
        acc[p][q] =
            vfmaq_f32(acc[p][q], vcvtq_f32_s32(isum[p][q]), vmulq_f32(dw, dx));
        if constexpr (T::kHasMin) {
          const int32x4_t ms =
              MinSums2x2I8mm(dec[2 * p].min, dec[2 * p + 1].min, xsums[2 * q],
                             xsums[2 * q + 1]);
          const float32x4_t dm = QuantHalf4ToFloatNeon(
              T::Dmin(w[2 * p][k]), T::Dmin(w[2 * p][k]),
              T::Dmin(w[2 * p + 1][k]), T::Dmin(w[2 * p + 1][k]));
          macc[p][q] =
              vfmaq_f32(macc[p][q], vcvtq_f32_s32(ms), vmulq_f32(dm, dx));
        }
      }
    }
  }
  for (int p = 0; p < kRowPairs; ++p) {
    for (int q = 0; q < kBatchPairs; ++q) {
      float v[4];
      vst1q_f32(v, T::kHasMin ? vsubq_f32(acc[p][q], macc[p][q]) : acc[p][q]);
      for (int i = 0; i < 2; ++i) {
        const size_t r = 2 * p + i;
        if (r >= rows) break;
        for (int j = 0; j < 2; ++j) {
          const size_t c = 2 * q + j;
          if (c >= cols) break;
          float y = v[2 * i + j];
          if (a.bias != nullptr) y += a.bias[o + r];
          a.y[(b + c) * a.y_stride + o + r] = y;
        }
      }
    }
  }
}

// Output tile: 2 row pairs x 2 batch-row pairs (4 x 4); tails use 1 pair.
constexpr size_t kRowTileI8mm = 4, kBatchTileI8mm = 4;

template <typename T, int kRowPairs>
void RowTileI8mm(const QuantGemmArgs& a, size_t o, size_t rows) {
  size_t b = 0;
  for (; b + kBatchTileI8mm <= a.batch; b += kBatchTileI8mm) {
    TileI8mm<T, kRowPairs, 2>(a, o, rows, b, kBatchTileI8mm);
  }
  const size_t left = a.batch - b;
  if (left > 2) {
    TileI8mm<T, kRowPairs, 2>(a, o, rows, b, left);
  } else if (left > 0) {
    TileI8mm<T, kRowPairs, 1>(a, o, rows, b, left);
  }
}

template <typename T>
void GemmI8mm(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  if (a.batch == 1) {
    QuantGemmNeonLoop<T, QuantDotI8mmSdot>(a, o_begin, o_end);
    return;
  }
  for (size_t o = o_begin; o < o_end; o += kRowTileI8mm) {
    const size_t rows = std::min(kRowTileI8mm, o_end - o);
    if (rows > 2) {
      RowTileI8mm<T, 2>(a, o, rows);
    } else {
      RowTileI8mm<T, 1>(a, o, rows);
    }
  }
}

// Weights repacked at load (the 16-row records the dotprod kernel reads):
// the packed groups by SDOT by element for every batch (fewer instructions
// than SMMLA over plain rows, which must widen each row's levels apart),
// the plain rows after them as above.
template <typename P>
void PackedGemmI8mm(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  const size_t o = PackedGroupsNeon<P, QuantDotI8mmSdot>(a, o_begin, o_end);
  if (o < o_end) GemmI8mm<typename P::Plain>(a, o, o_end);
}

}  // namespace

void QuantGemmQ4_0NeonI8mm(const QuantGemmArgs& a, size_t o_begin,
                           size_t o_end) {
  PackedGemmI8mm<PackedQ4_0Neon>(a, o_begin, o_end);
}
void QuantGemmQ5_0NeonI8mm(const QuantGemmArgs& a, size_t o_begin,
                           size_t o_end) {
  GemmI8mm<Q5_0Neon>(a, o_begin, o_end);
}
void QuantGemmQ4_KNeonI8mm(const QuantGemmArgs& a, size_t o_begin,
                           size_t o_end) {
  PackedGemmI8mm<PackedQ4_KNeon>(a, o_begin, o_end);
}
void QuantGemmQ5_KNeonI8mm(const QuantGemmArgs& a, size_t o_begin,
                           size_t o_end) {
  GemmI8mm<Q5_KNeon>(a, o_begin, o_end);
}
void QuantGemmQ6_KNeonI8mm(const QuantGemmArgs& a, size_t o_begin,
                           size_t o_end) {
  GemmI8mm<Q6_KNeon>(a, o_begin, o_end);
}

}  // namespace edgellm::ops::kernels
