// Q8_0 GEMM for ARMv8-A NEON without dotprod (Raspberry Pi 3/4): widening
// multiplies to int16 (|w*x| <= 16384 fits, but a sum of two may not), then
// pairwise widening adds into int32 give 4 partial sums of 8 products each;
// q8_0_gemm_neon_inl.h adds them up to the block's exact int32 sum.
#include <arm_neon.h>

#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/q8_0_gemm_neon_inl.h"

namespace edgellm::ops::kernels {
namespace {

struct BlockDotNeon {
  int32x4_t operator()(int8x16_t w0, int8x16_t w1, int8x16_t x0,
                       int8x16_t x1) const {
    int32x4_t s = vpaddlq_s16(vmull_s8(vget_low_s8(w0), vget_low_s8(x0)));
    s = vpadalq_s16(s, vmull_high_s8(w0, x0));
    s = vpadalq_s16(s, vmull_s8(vget_low_s8(w1), vget_low_s8(x1)));
    return vpadalq_s16(s, vmull_high_s8(w1, x1));
  }
};

}  // namespace

void Q8_0GemmNeon(const Q8_0GemmArgs& args, size_t o_begin, size_t o_end) {
  Q8_0GemmNeonLoop<BlockDotNeon>(args, o_begin, o_end);
}

}  // namespace edgellm::ops::kernels
