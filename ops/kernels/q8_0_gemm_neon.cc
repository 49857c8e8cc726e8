// Q8_0 GEMM for ARMv8-A NEON without dotprod (Raspberry Pi 3/4): widening
// multiplies to int16 (|w*x| <= 16384 fits), then two pairwise widening adds
// give the 4-value int32 lanes of the contract.
#include <arm_neon.h>

#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/q8_0_gemm_neon_inl.h"

namespace edgellm::ops::kernels {
namespace {

struct LaneDotNeon {
  int32x4_t operator()(int8x16_t w, int8x16_t x) const {
    const int16x8_t p0 = vmull_s8(vget_low_s8(w), vget_low_s8(x));
    const int16x8_t p1 = vmull_high_s8(w, x);
    return vpaddq_s32(vpaddlq_s16(p0), vpaddlq_s16(p1));
  }
};

}  // namespace

void Q8_0GemmNeon(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end) {
  Q8_0GemmNeonLoop<LaneDotNeon>(args, o_begin, o_end);
}

}  // namespace edgellm::ops::kernels
