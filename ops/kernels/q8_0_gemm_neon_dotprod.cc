// Q8_0 GEMM for ARMv8.2-A dotprod (Raspberry Pi 5, Apple, Graviton): SDOT
// sums four int8 products per int32 lane, exactly the contract's lanes.
#include <arm_neon.h>

#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/q8_0_gemm_neon_inl.h"

namespace edgellm::ops::kernels {
namespace {

struct LaneDotNeonDotprod {
  int32x4_t operator()(int8x16_t w, int8x16_t x) const {
    return vdotq_s32(vdupq_n_s32(0), w, x);
  }
};

}  // namespace

void Q8_0GemmNeonDotprod(const Q8_0GemmArgs& args, size_t o_begin,
                         size_t o_end) {
  Q8_0GemmNeonLoop<LaneDotNeonDotprod>(args, o_begin, o_end);
}

}  // namespace edgellm::ops::kernels
