#include "quant/fp16_f16c_testing.h"

#include <cpuinfo.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace edgellm::quant::testing {

#if defined(__x86_64__)
bool HasF16c() { return cpuinfo_initialize() && cpuinfo_has_x86_f16c(); }
uint16_t HardwareFp32ToFp16(float x) { return _cvtss_sh(x, 0); }
float HardwareFp16ToFp32(uint16_t h) { return _cvtsh_ss(h); }
#else
bool HasF16c() { return false; }
uint16_t HardwareFp32ToFp16(float) { return 0; }
float HardwareFp16ToFp32(uint16_t) { return 0.0f; }
#endif

}  // namespace edgellm::quant::testing
