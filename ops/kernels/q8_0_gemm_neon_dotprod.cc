// Q8_0 GEMM for ARMv8.2-A dotprod (Raspberry Pi 5, Apple, Graviton): SDOT
// adds four int8 products into each int32 lane, so two SDOTs (one per half
// block) give 4 partial sums of 8 products each; q8_0_gemm_neon_inl.h adds
// them up to the block's exact int32 sum.
#include <arm_neon.h>

#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/q8_0_gemm_neon_inl.h"

namespace edgellm::ops::kernels {
namespace {

struct BlockDotNeonDotprod {
  int32x4_t operator()(int8x16_t w0, int8x16_t w1, int8x16_t x0,
                       int8x16_t x1) const {
    return vdotq_s32(vdotq_s32(vdupq_n_s32(0), w0, x0), w1, x1);
  }
};

}  // namespace

void Q8_0GemmNeonDotprod(const Q8_0GemmArgs& args, size_t o_begin,
                         size_t o_end) {
  Q8_0GemmNeonLoop<BlockDotNeonDotprod>(args, o_begin, o_end);
}

}  // namespace edgellm::ops::kernels
