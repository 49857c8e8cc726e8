// Matrix-vector / matrix-matrix kernels for every block-quantized weight
// type other than Q8_0 (which has its own, q8_0_gemm.h), internal to ops/.
//
// A kernel computes, for output rows o in [o_begin, o_end) and every batch
// row b:
//   y[b * y_stride + o] = dot(w row o, x row b) (+ bias[o])
// where x holds activations already quantized to the weight type's partner
// format (ggml's vec_dot_type: Q8_0, Q8_1 or Q8_K, see ActivationFormatFor)
// and the dot product follows ONE arithmetic contract per family, so every
// kernel of a type gives bit-identical results (the equivalence tests check
// equality, not a tolerance):
//
// 32-value types with Q8_0 activations (Q4_0, Q5_0, IQ4_NL; Q8_0 itself in
// q8_0_gemm.h):
//   * per block k, the exact int32 sum s[k] of level * activation, with the
//     weight's integer levels (q - 8, q - 16, kIq4nlValues[q]);
//   * acc = fma(float(s[k]), d_w[k] * d_x[k], acc) over blocks in order,
//     from +0, the scales converted from fp16 and multiplied in f32.
// 32-value types with Q8_1 activations (Q4_1, Q5_1): the same acc over the
//   levels q, plus macc = fma(m_w[k], s_x[k], macc) over blocks (the fp16
//   minimum times the activation block's fp16 sum, as ggml's vec_dot does);
//   dot = acc + macc.
// 256-value types with Q8_K activations (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K,
//   IQ4_XS), per super-block k:
//   * isum[k] = sum over sub-blocks j of scale_j * (exact int32 sum of
//     level * activation over the sub-block), with the integer scales and
//     levels of quant_levels.h (offsets folded in: Q3_K's q - 4, Q6_K's
//     q - 32, IQ4_XS's table values and ls - 32);
//   * for the types with minimums (Q2_K, Q4_K, Q5_K), msum[k] = sum over j
//     of min_j * (the activation sums of sub-block j, from Q8_K's bsums);
//   * acc = fma(float(isum[k]), d_w[k] * d_x[k], acc) and
//     macc = fma(float(msum[k]), dmin_w[k] * d_x[k], macc) over super-blocks
//     in order, from +0; dot = acc - macc (acc for the types without
//     minimums).
//   Every integer sum fits int32 (the largest, Q6_K's isum, is below 2^28);
//   integer addition is associative, so a kernel may form them in any order
//   (a SIMD kernel may use q * x - 32 * bsum instead of (q - 32) * x).
// Then, with a bias, y = dot + bias[o] (one rounding).
//
// These are ggml's CPU dot products with the float accumulation in a fixed
// order: ggml's SIMD paths keep several float lanes per row and sum them at
// the end, so results differ from ggml's in the last bits (well inside the
// 1e-5 relative agreement the reference vectors allow; tests/ checks both).
#ifndef EDGELLM_OPS_KERNELS_QUANT_GEMM_H_
#define EDGELLM_OPS_KERNELS_QUANT_GEMM_H_

#include <cstddef>
#include <cstdint>

#include "runtime/gguf/types.h"

namespace edgellm::ops::kernels {

struct QuantGemmArgs {
  const void* w;       // [out] rows of the weight type's blocks
  size_t w_row_bytes;  // bytes per weight row
  const void* x;       // [batch] rows of the partner format's blocks
  size_t x_row_bytes;  // bytes per activation row
  size_t n_blocks;     // weight blocks per row (in / block values)
  size_t batch;
  const float* bias;  // [out] or nullptr
  float* y;           // y[b * y_stride + o]
  size_t y_stride;
  // As Q8_0GemmArgs: unique per call (0 = none), and how many leading rows
  // of w are in the kernel's own packed layout (0 for plain tensors).
  uint64_t call_id = 0;
  size_t packed_rows = 0;
};

using QuantGemmFn = void (*)(const QuantGemmArgs& args, size_t o_begin,
                             size_t o_end);

// Repacks rows [0, rows) of a tensor of n_blocks blocks per row into dst
// (same size, no overlap) for one kernel; returns how many leading rows are
// packed (the rest are copied unchanged). Only valid with that kernel.
using QuantPackFn = size_t (*)(const void* src, size_t rows, size_t n_blocks,
                               void* dst);
// Reads packed row `row` back into n_blocks plain GGUF blocks.
using QuantUnpackRowFn = void (*)(const void* packed, size_t row,
                                  size_t n_blocks, void* out);

// The reference dot product of one weight row with one activation row
// (n_blocks weight blocks), the contract above one value at a time.
using QuantRowDotFn = float (*)(const void* w, const void* x, size_t n_blocks);

// The reference row dot of a weight type, or nullptr for a type without one
// (Q8_0 and every type not in quant::QuantTypes()).
QuantRowDotFn QuantRowDotRef(gguf::TensorType type);

// The reference GEMM over QuantRowDotRef(type) (kernels/quant_gemm_ref.cc);
// nullptr as QuantRowDotRef.
QuantGemmFn QuantGemmRef(gguf::TensorType type);

#if defined(__x86_64__)
// AVX-512 F/BW/VL + VNNI over the 16-row layouts of quant_pack16.h
// (kernels/quant_gemm_avx512vnni.cc): rows [0, packed_rows) packed by the
// matching PackQ*Rows16, the rest plain.
void QuantGemmQ4_0Avx512Vnni(const QuantGemmArgs& a, size_t o_begin,
                             size_t o_end);
void QuantGemmQ5_0Avx512Vnni(const QuantGemmArgs& a, size_t o_begin,
                             size_t o_end);
void QuantGemmQ4_KAvx512Vnni(const QuantGemmArgs& a, size_t o_begin,
                             size_t o_end);
void QuantGemmQ5_KAvx512Vnni(const QuantGemmArgs& a, size_t o_begin,
                             size_t o_end);
void QuantGemmQ6_KAvx512Vnni(const QuantGemmArgs& a, size_t o_begin,
                             size_t o_end);
// AVX2 + FMA + F16C over the same layouts (kernels/quant_gemm_avx2.cc), for
// x86 CPUs without AVX-512 VNNI.
void QuantGemmQ4_0Avx2(const QuantGemmArgs& a, size_t o_begin, size_t o_end);
void QuantGemmQ5_0Avx2(const QuantGemmArgs& a, size_t o_begin, size_t o_end);
void QuantGemmQ4_KAvx2(const QuantGemmArgs& a, size_t o_begin, size_t o_end);
void QuantGemmQ5_KAvx2(const QuantGemmArgs& a, size_t o_begin, size_t o_end);
void QuantGemmQ6_KAvx2(const QuantGemmArgs& a, size_t o_begin, size_t o_end);
// quant::QuantizeRowQ8_K with AVX2, byte-identical (an ActivationQuantizeFn;
// see ActivationFormat).
void QuantizeRowQ8_KAvx2(const float* x, void* y, int64_t k);
#endif

#if defined(__aarch64__)
// AArch64 kernels over plain GGUF rows (the dotprod and i8mm kernels of Q4_0
// and Q4_K also over rows [0, packed_rows) in quant_pack16.h's layouts,
// kernels/quant_gemm_neon_pack16_inl.h): ARMv8-A NEON
// (kernels/quant_gemm_neon.cc) and ARMv8.2-A dotprod
// (kernels/quant_gemm_neon_dotprod.cc; needs FEAT_DotProd).
void QuantGemmQ4_0Neon(const QuantGemmArgs& a, size_t o_begin, size_t o_end);
void QuantGemmQ5_0Neon(const QuantGemmArgs& a, size_t o_begin, size_t o_end);
void QuantGemmQ4_KNeon(const QuantGemmArgs& a, size_t o_begin, size_t o_end);
void QuantGemmQ5_KNeon(const QuantGemmArgs& a, size_t o_begin, size_t o_end);
void QuantGemmQ6_KNeon(const QuantGemmArgs& a, size_t o_begin, size_t o_end);
void QuantGemmQ4_0NeonDotprod(const QuantGemmArgs& a, size_t o_begin,
                              size_t o_end);
void QuantGemmQ5_0NeonDotprod(const QuantGemmArgs& a, size_t o_begin,
                              size_t o_end);
void QuantGemmQ4_KNeonDotprod(const QuantGemmArgs& a, size_t o_begin,
                              size_t o_end);
void QuantGemmQ5_KNeonDotprod(const QuantGemmArgs& a, size_t o_begin,
                              size_t o_end);
void QuantGemmQ6_KNeonDotprod(const QuantGemmArgs& a, size_t o_begin,
                              size_t o_end);
// ARMv8.6-A i8mm (SMMLA) for batches >= 2, dotprod for a batch of 1
// (kernels/quant_gemm_neon_i8mm.cc); needs FEAT_I8MM and FEAT_DotProd.
void QuantGemmQ4_0NeonI8mm(const QuantGemmArgs& a, size_t o_begin,
                           size_t o_end);
void QuantGemmQ5_0NeonI8mm(const QuantGemmArgs& a, size_t o_begin,
                           size_t o_end);
void QuantGemmQ4_KNeonI8mm(const QuantGemmArgs& a, size_t o_begin,
                           size_t o_end);
void QuantGemmQ5_KNeonI8mm(const QuantGemmArgs& a, size_t o_begin,
                           size_t o_end);
void QuantGemmQ6_KNeonI8mm(const QuantGemmArgs& a, size_t o_begin,
                           size_t o_end);
#endif

// Quantizes one activation row of k values (k a multiple of the format's
// block) to a partner format, byte-exact with ggml-cpu's from_float.
using ActivationQuantizeFn = void (*)(const float* x, void* y, int64_t k);

struct ActivationFormat {
  gguf::TensorType type;  // kQ8_0, kQ8_1 or kQ8_K
  int block_values;       // 32 or 256
  int block_bytes;        // 34, 36 or 292
  ActivationQuantizeFn quantize;
  size_t RowBytes(size_t k) const { return k / block_values * block_bytes; }
};

// The partner format of a weight type, or nullptr when the type has none.
const ActivationFormat* ActivationFormatFor(gguf::TensorType weight_type);

}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_QUANT_GEMM_H_
