// Hardware F16C conversions for fp16_test (compiled with -mf16c in its own
// library, so only these functions contain F16C instructions). Call only when
// HasF16c() is true.
#ifndef EDGELLM_QUANT_FP16_F16C_TESTING_H_
#define EDGELLM_QUANT_FP16_F16C_TESTING_H_

#include <cstdint>

namespace edgellm::quant::testing {

bool HasF16c();
// VCVTPS2PH with imm8 = 0 (round to nearest even), as _cvtss_sh(x, 0).
uint16_t HardwareFp32ToFp16(float x);
// VCVTPH2PS, as _cvtsh_ss(h).
float HardwareFp16ToFp32(uint16_t h);

}  // namespace edgellm::quant::testing

#endif  // EDGELLM_QUANT_FP16_F16C_TESTING_H_
