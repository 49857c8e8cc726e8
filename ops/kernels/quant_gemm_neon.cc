// Q4_0, Q4_K, Q5_K and Q6_K GEMM for ARMv8-A NEON without dotprod (Raspberry
// Pi 3/4): widening multiplies to int16 (every level * activation product
// fits: |level| <= 32, |x| <= 128), then pairwise widening adds into int32;
// quant_gemm_neon_inl.h forms the blocks' exact sums and the contract's
// float steps.
#include <arm_neon.h>

#include "ops/kernels/quant_gemm.h"
#include "ops/kernels/quant_gemm_neon_inl.h"

namespace edgellm::ops::kernels {
namespace {

struct QuantDotNeon {
  static int32x4_t Mla(int32x4_t acc, int8x16_t a, int8x16_t b) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
  }
};

}  // namespace

void QuantGemmQ4_0Neon(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  QuantGemmNeonLoop<Q4_0Neon, QuantDotNeon>(a, o_begin, o_end);
}
void QuantGemmQ5_0Neon(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  QuantGemmNeonLoop<Q5_0Neon, QuantDotNeon>(a, o_begin, o_end);
}
void QuantGemmQ4_KNeon(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  QuantGemmNeonLoop<Q4_KNeon, QuantDotNeon>(a, o_begin, o_end);
}
void QuantGemmQ5_KNeon(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  QuantGemmNeonLoop<Q5_KNeon, QuantDotNeon>(a, o_begin, o_end);
}
void QuantGemmQ6_KNeon(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  QuantGemmNeonLoop<Q6_KNeon, QuantDotNeon>(a, o_begin, o_end);
}

}  // namespace edgellm::ops::kernels
