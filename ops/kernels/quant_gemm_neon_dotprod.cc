// Q4_0, Q4_K, Q5_K and Q6_K GEMM for ARMv8.2-A dotprod (Raspberry Pi 5,
// Graviton 2, Apple): SDOT adds four int8 products into each int32 lane;
// quant_gemm_neon_inl.h forms the blocks' exact sums and the contract's
// float steps (Q4_0 and Q4_K also over the 16-row records they are repacked
// into at load, quant_gemm_neon_pack16_inl.h). Built with
// -march=armv8.2-a+dotprod: only the entry points below are exported (the
// shared loops have internal linkage), so no SDOT reaches baseline callers.
#include <arm_neon.h>

#include "ops/kernels/quant_gemm.h"
#include "ops/kernels/quant_gemm_neon_inl.h"
#include "ops/kernels/quant_gemm_neon_pack16_inl.h"

namespace edgellm::ops::kernels {
namespace {

struct QuantDotNeonDotprod {
  static int32x4_t Mla(int32x4_t acc, int8x16_t a, int8x16_t b) {
    return vdotq_s32(acc, a, b);
  }
};

}  // namespace

void QuantGemmQ4_0NeonDotprod(const QuantGemmArgs& a, size_t o_begin,
                              size_t o_end) {
  PackedGemmNeon<PackedQ4_0Neon, QuantDotNeonDotprod>(a, o_begin, o_end);
}
void QuantGemmQ5_0NeonDotprod(const QuantGemmArgs& a, size_t o_begin,
                              size_t o_end) {
  QuantGemmNeonLoop<Q5_0Neon, QuantDotNeonDotprod>(a, o_begin, o_end);
}
void QuantGemmQ4_KNeonDotprod(const QuantGemmArgs& a, size_t o_begin,
                              size_t o_end) {
  PackedGemmNeon<PackedQ4_KNeon, QuantDotNeonDotprod>(a, o_begin, o_end);
}
void QuantGemmQ5_KNeonDotprod(const QuantGemmArgs& a, size_t o_begin,
                              size_t o_end) {
  QuantGemmNeonLoop<Q5_KNeon, QuantDotNeonDotprod>(a, o_begin, o_end);
}
void QuantGemmQ6_KNeonDotprod(const QuantGemmArgs& a, size_t o_begin,
                              size_t o_end) {
  QuantGemmNeonLoop<Q6_KNeon, QuantDotNeonDotprod>(a, o_begin, o_end);
}

}  // namespace edgellm::ops::kernels
