// Q8_0 GEMM for ARMv8.6-A FEAT_I8MM (Graviton 3/4, Neoverse V1/V2/N2,
// Cortex-A710 and later, Apple M2 and later) for prompt batches.
//
// SMMLA (vmmlaq_s32(acc, a, b)) reads a as a 2x8 int8 matrix (row i = bytes
// 8i..8i+7) and b as an 8x2 one (column j = bytes 8j..8j+7) and adds the 2x2
// int32 product to acc, row-major: acc += [a0.b0, a0.b1, a1.b0, a1.b1]
// (Arm A64 ISA, SMMLA (vector); ACLE vmmlaq_s32). With two weight rows as a
// and two activation rows as b, four SMMLAs (values 0-7, 8-15, 16-23, 24-31)
// give the exact int32 block sums of the four (row, batch row) pairs, one per
// lane, so per block the scale product and the contract's fma
// (q8_0_gemm.h) are one vector operation per 2x2 output tile, with no
// horizontal adds.
//
// A batch of one (decoding) would waste half of every SMMLA on a padding
// column, so it takes the dotprod loop instead: every FEAT_I8MM CPU has
// FEAT_DotProd (ARMv8.6-A makes both mandatory, and the dispatcher checks
// both bits).
#include <arm_neon.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/q8_0_gemm_neon_inl.h"

namespace edgellm::ops::kernels {
namespace {

using quant::BlockQ8_0;

// Output tile: 2 row pairs x 2 batch-row pairs, i.e. 4 weight rows x 4 batch
// rows, 16 SMMLAs per block over 8 + 8 operand registers, four independent
// accumulator chains. Tails use 1 pair (and a pair padded by repeating its
// first row, whose lanes are computed and dropped).
constexpr int kRowPairsI8mm = 2;
constexpr int kBatchPairsI8mm = 2;
constexpr size_t kRowTileI8mm = 2 * kRowPairsI8mm;
constexpr size_t kBatchTileI8mm = 2 * kBatchPairsI8mm;
// SMMLA multiplies over 8 values, so a block is 4 steps.
constexpr int kSmmlaDepth = 8;
constexpr int kStepsI8mm = quant::kQ8_0BlockSize / kSmmlaDepth;
// The loops over pairs and steps carry `#pragma GCC unroll`: only fully
// unrolled do the operand and accumulator arrays stay in registers (GCC 12
// at -O2 otherwise keeps them on the stack, a load and store per block).

struct BlockDotNeonDotprod {
  int32x4_t operator()(int8x16_t w0, int8x16_t w1, int8x16_t x0,
                       int8x16_t x1) const {
    return vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, x0), w1, x1);
  }
};

// The block of rows p and q as SMMLA operands: m[j] = [p[8j..8j+7],
// q[8j..8j+7]].
struct PairOperandsI8mm {
  int8x16_t m[kStepsI8mm];
};

inline PairOperandsI8mm LoadPairI8mm(const BlockQ8_0& p, const BlockQ8_0& q) {
  const int64x2_t p0 = vreinterpretq_s64_s8(vld1q_s8(p.qs));
  const int64x2_t p1 = vreinterpretq_s64_s8(vld1q_s8(p.qs + kNeonHalfBlock));
  const int64x2_t q0 = vreinterpretq_s64_s8(vld1q_s8(q.qs));
  const int64x2_t q1 = vreinterpretq_s64_s8(vld1q_s8(q.qs + kNeonHalfBlock));
  return {{vreinterpretq_s8_s64(vzip1q_s64(p0, q0)),
           vreinterpretq_s8_s64(vzip2q_s64(p0, q0)),
           vreinterpretq_s8_s64(vzip1q_s64(p1, q1)),
           vreinterpretq_s8_s64(vzip2q_s64(p1, q1))}};
}

// The exact int32 block sums [w0.x0, w0.x1, w1.x0, w1.x1] (|s| < 2^24).
inline int32x4_t BlockSumsI8mm(const PairOperandsI8mm& w,
                               const PairOperandsI8mm& x) {
  int32x4_t s = vmmlaq_s32(vdupq_n_s32(0), w.m[0], x.m[0]);
#pragma GCC unroll 4
  for (int j = 1; j < kStepsI8mm; ++j) s = vmmlaq_s32(s, w.m[j], x.m[j]);
  return s;
}

// Four fp16 scales as f32 (the conversion is exact).
inline float32x4_t ScalesI8mm(uint16_t s0, uint16_t s1, uint16_t s2,
                              uint16_t s3) {
  const uint16_t h[4] = {s0, s1, s2, s3};
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h)));
}

// Rows o..o+rows-1 (rows <= 2 * kRowPairs) times batch rows b..b+cols-1
// (cols <= 2 * kBatchPairs). Missing rows/columns repeat the last real one
// (no read past the operands) and their outputs are dropped. acc[p][q] lane
// 2i+j holds (row 2p+i, batch row 2q+j): its own fma chain over blocks in
// order from +0, as the contract has it.
template <int kRowPairs, int kBatchPairs>
inline void TileI8mm(const Q8_0GemmArgs& a, size_t o, size_t rows, size_t b,
                     size_t cols) {
  constexpr int kRows = 2 * kRowPairs, kCols = 2 * kBatchPairs;
  const BlockQ8_0* w[kRows];
#pragma GCC unroll 4
  for (int i = 0; i < kRows; ++i) {
    w[i] = a.w + (o + std::min<size_t>(i, rows - 1)) * a.n_blocks;
  }
  const BlockQ8_0* x[kCols];
#pragma GCC unroll 4
  for (int j = 0; j < kCols; ++j) {
    x[j] = a.x + (b + std::min<size_t>(j, cols - 1)) * a.n_blocks;
  }
  float32x4_t acc[kRowPairs][kBatchPairs];
  for (auto& row : acc) {
    for (float32x4_t& v : row) v = vdupq_n_f32(0.0f);
  }
  for (size_t k = 0; k < a.n_blocks; ++k) {
    PairOperandsI8mm wo[kRowPairs], xo[kBatchPairs];
#pragma GCC unroll 4
    for (int p = 0; p < kRowPairs; ++p) {
      wo[p] = LoadPairI8mm(w[2 * p][k], w[2 * p + 1][k]);
    }
#pragma GCC unroll 4
    for (int q = 0; q < kBatchPairs; ++q) {
      xo[q] = LoadPairI8mm(x[2 * q][k], x[2 * q + 1][k]);
    }
    // ws = [w0, w1, w2, w3] -> per row pair [w2p, w2p, w2p+1, w2p+1];
    // xs = [x0, x1, x2, x3] -> per batch pair [x2q, x2q+1, x2q, x2q+1].
    const float32x4_t ws =
        ScalesI8mm(w[0][k].d, w[1][k].d, w[kRows - 2][k].d, w[kRows - 1][k].d);
    const float32x4_t xs =
        ScalesI8mm(x[0][k].d, x[1][k].d, x[kCols - 2][k].d, x[kCols - 1][k].d);
    const float32x4_t dw[2] = {vzip1q_f32(ws, ws), vzip2q_f32(ws, ws)};
    const float32x4_t dx[2] = {
        vcombine_f32(vget_low_f32(xs), vget_low_f32(xs)),
        vcombine_f32(vget_high_f32(xs), vget_high_f32(xs))};
#pragma GCC unroll 4
    for (int p = 0; p < kRowPairs; ++p) {
#pragma GCC unroll 4
      for (int q = 0; q < kBatchPairs; ++q) {
        // d = fp32(w.d) * fp32(x.d), one f32 rounding per lane.
        acc[p][q] =
            vfmaq_f32(acc[p][q], vcvtq_f32_s32(BlockSumsI8mm(wo[p], xo[q])),
                      vmulq_f32(dw[p], dx[q]));
      }
    }
  }
#pragma GCC unroll 4
  for (int p = 0; p < kRowPairs; ++p) {
#pragma GCC unroll 4
    for (int q = 0; q < kBatchPairs; ++q) {
      float v[4];
      vst1q_f32(v, acc[p][q]);
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

// Rows o..o+rows-1, every batch row.
template <int kRowPairs>
void RowTileI8mm(const Q8_0GemmArgs& a, size_t o, size_t rows) {
  size_t b = 0;
  for (; b + kBatchTileI8mm <= a.batch; b += kBatchTileI8mm) {
    TileI8mm<kRowPairs, kBatchPairsI8mm>(a, o, rows, b, kBatchTileI8mm);
  }
  const size_t left = a.batch - b;
  if (left > 2) {
    TileI8mm<kRowPairs, kBatchPairsI8mm>(a, o, rows, b, left);
  } else if (left > 0) {
    TileI8mm<kRowPairs, 1>(a, o, rows, b, left);
  }
}

}  // namespace

void Q8_0GemmNeonI8mm(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end) {
  if (args.batch == 1) {
    Q8_0GemmNeonLoop<BlockDotNeonDotprod>(args, o_begin, o_end);
    return;
  }
  for (size_t o = o_begin; o < o_end; o += kRowTileI8mm) {
    const size_t rows = std::min(kRowTileI8mm, o_end - o);
    if (rows > 2) {
      RowTileI8mm<kRowPairsI8mm>(args, o, rows);
    } else {
      RowTileI8mm<1>(args, o, rows);
    }
  }
}

}  // namespace edgellm::ops::kernels
