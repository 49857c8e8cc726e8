// Q8_0 x Q8_0 matrix-vector / matrix-matrix kernels (internal to ops/).
//
// Every kernel computes, for output rows o in [o_begin, o_end) and every
// batch row b:
//   y[b * y_stride + o] = dot(w row o, xq row b) (+ bias[o])
// where both operands are Q8_0 rows of n_blocks blocks, and the dot product
// follows ONE arithmetic contract, so all kernels give bit-identical results
// (the equivalence test checks equality, not a tolerance):
//
//   * Per block k, the exact int32 dot product of the 32 value pairs:
//     s[k] = sum_{i<32} w[i]*x[i]  (|s| <= 32*128*127 < 2^24, so float(s)
//     is exact too). Integer addition is associative: a kernel may form s[k]
//     from partial sums in any order.
//   * Over blocks in order: acc = fma(float(s[k]), d[k], acc), starting
//     from +0, with d[k] = fp32(w.d) * fp32(x.d) rounded to f32.
//   * Then, with a bias, y = acc + bias[o] (one rounding).
//
// This is ggml's scalar reference ggml_vec_dot_q8_0_q8_0 (sumi per block,
// sumf += sumi * (d_w * d_x), which compilers contract to the fma above),
// and the order with the fewest roundings: one per block. It lets a kernel
// keep one float lane per (row, batch row) and sum a whole block in integer
// first, which is what makes the AVX-512 VNNI prompt GEMM fast (it
// transposes 16 weight rows so one int32 lane holds one row's block sum), and
// the ARM i8mm one (SMMLA's 2x2 int32 tile is the block sums of 2 rows x 2
// batch rows, one lane each).
// llama.cpp's x86 SIMD path instead keeps 8 float lanes per row (one per 4
// values) and sums them at the end; the results differ in the last bits
// (tests/golden measures the agreement of greedy outputs with llama.cpp).
#ifndef EDGELLM_OPS_KERNELS_Q8_0_GEMM_H_
#define EDGELLM_OPS_KERNELS_Q8_0_GEMM_H_

#include <cstddef>
#include <cstdint>

#include "quant/q8_0.h"

namespace edgellm::ops::kernels {

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
  // Rows [0, packed_rows) of w are in the layout of the kernel's own pack
  // function (Q8_0GemmKernel::pack, which returned this value); the rest are
  // plain GGUF rows at their usual place. 0 for plain tensors.
  size_t packed_rows = 0;
};

using Q8_0GemmFn = void (*)(const Q8_0GemmArgs& args, size_t o_begin,
                            size_t o_end);

// Repacks a [rows][n_blocks] Q8_0 tensor for one kernel into dst (same size,
// must not overlap src) and returns how many leading rows are packed; the
// remaining rows are copied unchanged. A packed tensor is only valid with the
// kernel whose pack function wrote it, and gives bit-identical results.
using Q8_0PackFn = size_t (*)(const quant::BlockQ8_0* src, size_t rows,
                              size_t n_blocks, quant::BlockQ8_0* dst);
// Reads row `row` (< the packed_rows its pack function returned) of a packed
// tensor back into n_blocks plain GGUF blocks: a tied embedding table is
// packed for the output head and still looked up by row.
using Q8_0UnpackRowFn = void (*)(const quant::BlockQ8_0* packed, size_t row,
                                 size_t n_blocks, quant::BlockQ8_0* out);

// Plain C++ (kernels/q8_0_gemm_ref.cc); runs everywhere.
void Q8_0GemmRef(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end);

#if defined(__x86_64__)
// AVX2 + FMA + F16C (kernels/q8_0_gemm_avx2.cc): batches below
// kQ8_0Avx2PromptMinBatch row by row, larger ones through
// Q8_0GemmAvx2Prompt.
void Q8_0GemmAvx2(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end);
inline constexpr size_t kQ8_0Avx2PromptMinBatch = 4;
// Its prompt path (kernels/q8_0_gemm_avx2_prompt.cc), any batch: 8-row
// groups transposed per call, tiles of 4 batch rows.
void Q8_0GemmAvx2Prompt(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end);
// AVX-512 F/BW/VL + VNNI (kernels/q8_0_gemm_avx512vnni.cc).
void Q8_0GemmAvx512Vnni(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end);
// Its pack function: each group of 16 rows becomes, per block, the 16 rows'
// bytes transposed to one row per int32 lane (xor 0x80) and their 16 scales,
// so decoding reads the tensor as one sequential stream and neither decoding
// nor prompt batches transpose at run time.
size_t Q8_0PackAvx512Vnni(const quant::BlockQ8_0* src, size_t rows,
                          size_t n_blocks, quant::BlockQ8_0* dst);
void Q8_0UnpackRowAvx512Vnni(const quant::BlockQ8_0* packed, size_t row,
                             size_t n_blocks, quant::BlockQ8_0* out);
#endif

#if defined(__aarch64__)
// ARMv8-A NEON (kernels/q8_0_gemm_neon.cc).
void Q8_0GemmNeon(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end);
// ARMv8.2-A dotprod (kernels/q8_0_gemm_neon_dotprod.cc).
void Q8_0GemmNeonDotprod(const Q8_0GemmArgs& args, size_t o_begin,
                         size_t o_end);
// ARMv8.6-A i8mm (SMMLA) for batches >= 2, dotprod for a batch of 1
// (kernels/q8_0_gemm_neon_i8mm.cc); needs FEAT_I8MM and FEAT_DotProd.
void Q8_0GemmNeonI8mm(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end);
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
