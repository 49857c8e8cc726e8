// Q8_0 x Q8_0 matrix-vector / matrix-matrix kernels (internal to ops/).
//
// Every kernel computes, for output rows o in [o_begin, o_end) and every
// batch row b:
//   y[b * y_stride + o] = dot(w row o, xq row b) (+ bias[o])
// where both operands are Q8_0 rows of n_blocks blocks, and the dot product
// follows ONE arithmetic contract, so all kernels give bit-identical results
// (the equivalence test checks equality, not a tolerance):
//
//   * Each block is split into 8 lanes of 4 consecutive values; lane j of
//     block k holds the exact int32 sum  s[k][j] = sum_{t<4} w[4j+t]*x[4j+t].
//   * Per lane, over blocks in order: acc[j] = fma(d[k], float(s[k][j]),
//     acc[j]) with d[k] = fp32(w.d) * fp32(x.d) rounded to f32.
//   * The 8 lanes are summed as ((a0+a4)+(a2+a6)) + ((a1+a5)+(a3+a7)).
//
// This is exactly what llama.cpp's x86 ggml_vec_dot_q8_0_q8_0 does with AVX2
// (ggml-cpu/arch/x86/quants.c: mul_sum_i8_pairs_float gives the 8 int32 lanes
// via maddubs+madd, or dpbusd with AVX512VNNI; acc = _mm256_fmadd_ps(d, q,
// acc); hsum_float_8), and what its llamafile tinyBLAS_Q0_AVX GEMM does for
// prompt batches (same lanes, madd=fma, same hsum). Our golden outputs come
// from an x86 llama.cpp build, so we mirror that order on every ISA: the NEON
// kernels keep two 4-lane accumulators to reproduce it (llama.cpp's own ARM
// path orders the sum differently; we choose to be x86-exact everywhere).
#ifndef EDGELLM_OPS_KERNELS_Q8_0_GEMM_H_
#define EDGELLM_OPS_KERNELS_Q8_0_GEMM_H_

#include <cstddef>
#include <cstdint>

#include "quant/q8_0.h"

namespace edgellm::ops::kernels {

// Values per accumulation lane and lanes per block (see the contract above).
inline constexpr int kQ8_0LaneWidth = 4;
inline constexpr int kQ8_0Lanes = quant::kQ8_0BlockSize / kQ8_0LaneWidth;

struct Q8_0GemmArgs {
  const quant::BlockQ8_0* w;  // [out][n_blocks]
  const quant::BlockQ8_0* x;  // [batch][n_blocks], quantized activations
  size_t n_blocks;            // blocks per row (in / 32)
  size_t batch;
  const float* bias;  // [out] or nullptr
  float* y;           // y[b * y_stride + o]
  size_t y_stride;
  // Nonzero and unique per GEMM call (all its tasks share it), or 0: lets a
  // kernel keep per-thread work derived from x (the VNNI kernel's repacked
  // activations) across the tasks of one call instead of redoing it per
  // task. x must not change during a call.
  uint64_t call_id = 0;
};

using Q8_0GemmFn = void (*)(const Q8_0GemmArgs& args, size_t o_begin,
                            size_t o_end);

// The lane sum of the contract, in its exact order.
inline float HsumQ8_0Lanes(const float a[kQ8_0Lanes]) {
  const float r0 = a[0] + a[4], r1 = a[1] + a[5];
  const float r2 = a[2] + a[6], r3 = a[3] + a[7];
  return (r0 + r2) + (r1 + r3);
}

// Plain C++ (kernels/q8_0_gemm_ref.cc); runs everywhere.
void Q8_0GemmRef(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end);

#if defined(__x86_64__)
// AVX2 + FMA + F16C (kernels/q8_0_gemm_avx2.cc).
void Q8_0GemmAvx2(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end);
// AVX-512 F/BW/VL + VNNI (kernels/q8_0_gemm_avx512vnni.cc).
void Q8_0GemmAvx512Vnni(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end);
#endif

#if defined(__aarch64__)
// ARMv8-A NEON (kernels/q8_0_gemm_neon.cc).
void Q8_0GemmNeon(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end);
// ARMv8.2-A dotprod (kernels/q8_0_gemm_neon_dotprod.cc).
void Q8_0GemmNeonDotprod(const Q8_0GemmArgs& args, size_t o_begin,
                         size_t o_end);
#endif

// Quantizes k activations (k % 32 == 0) to Q8_0 the way llama.cpp's x86
// quantize_row_q8_0 (AVX2 path) does, which is what the golden build ran:
// amax = max|x|, d = amax/127 stored as fp16 (round to nearest even, like
// F16C), id = amax != 0 ? 127/amax : 0, q = round_half_even(x * id).
// This differs from quant::QuantizeRowQ8_0 (ggml's scalar reference, used for
// weights: id = 1/d and roundf, half away from zero) in rare ties and last
// bits; see ops/kernels/q8_0_quantize.cc.
void QuantizeRowQ8_0Activations(const float* x, quant::BlockQ8_0* y, size_t k);

using Q8_0QuantizeFn = void (*)(const float* x, quant::BlockQ8_0* y, size_t k);

#if defined(__x86_64__)
// The same, bit for bit (NaN and Inf included), with AVX2 + F16C
// (kernels/q8_0_gemm_avx2.cc): llama.cpp's AVX2 steps themselves.
void QuantizeRowQ8_0ActivationsAvx2(const float* x, quant::BlockQ8_0* y,
                                    size_t k);
#endif

}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_Q8_0_GEMM_H_
