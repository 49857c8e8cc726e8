// What this CPU can run, for the kernel tables (internal to ops/). Each
// predicate may be called before cpuinfo_initialize(); the answers are
// constant for the process.
#ifndef EDGELLM_OPS_KERNELS_CPU_FEATURES_H_
#define EDGELLM_OPS_KERNELS_CPU_FEATURES_H_

namespace edgellm::ops::kernels {

bool CpuAlways();  // the reference kernels

#if defined(__x86_64__)
// AVX2 with FMA and F16C (every AVX2 CPU has them; checked anyway).
bool CpuHasAvx2();
// The above and AVX-512 F/BW/VL with VNNI.
bool CpuHasAvx512Vnni();
#endif

#if defined(__aarch64__)
// FEAT_DotProd (SDOT/UDOT).
bool CpuHasNeonDot();
// FEAT_I8MM (SMMLA ...) and FEAT_DotProd.
bool CpuHasNeonI8mm();
#endif

}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_CPU_FEATURES_H_
