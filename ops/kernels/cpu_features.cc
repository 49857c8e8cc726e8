#include "ops/kernels/cpu_features.h"

// On Linux/AArch64 the kernel's hardware capability bits are the
// authoritative feature list (Documentation/arch/arm64/elf_hwcaps.rst): they
// are what the CPU and kernel let user space execute, and qemu-user sets them
// for the emulated -cpu, whereas cpuinfo parses /proc/cpuinfo, which under
// qemu-user describes the host. getauxval also needs no library, so this file
// cross-compiles statically for the ARM test (tests/arm/). Other systems use
// cpuinfo.
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#define EDGELLM_ARM_LINUX_HWCAP 1
#else
#include <cpuinfo.h>
#endif

namespace edgellm::ops::kernels {

bool CpuAlways() { return true; }

#if defined(__x86_64__)
bool CpuHasAvx2() {
  // The AVX2 kernel also uses FMA (the contract's fused multiply-add) and
  // F16C (scale conversion); every AVX2 CPU has them, but check anyway.
  return cpuinfo_initialize() && cpuinfo_has_x86_avx2() &&
         cpuinfo_has_x86_fma3() && cpuinfo_has_x86_f16c();
}
bool CpuHasAvx512Vnni() {
  return CpuHasAvx2() && cpuinfo_has_x86_avx512f() &&
         cpuinfo_has_x86_avx512bw() && cpuinfo_has_x86_avx512vl() &&
         cpuinfo_has_x86_avx512vnni();
}
#endif

#if defined(__aarch64__)
bool CpuHasNeonDot() {
#if defined(EDGELLM_ARM_LINUX_HWCAP)
  // HWCAP_ASIMDDP: SDOT/UDOT (FEAT_DotProd). Spelled out in case the libc
  // headers predate it; the bit is fixed ABI (arch/arm64/include/uapi/asm/
  // hwcap.h).
  constexpr unsigned long kHwcapAsimdDp = 1UL << 20;
  return (getauxval(AT_HWCAP) & kHwcapAsimdDp) != 0;
#else
  return cpuinfo_initialize() && cpuinfo_has_arm_neon_dot();
#endif
}
bool CpuHasNeonI8mm() {
  // The i8mm kernel takes the dotprod loop for a batch of 1, so it needs
  // both (every FEAT_I8MM CPU so far has FEAT_DotProd; check anyway).
  if (!CpuHasNeonDot()) return false;
#if defined(EDGELLM_ARM_LINUX_HWCAP)
  // HWCAP2_I8MM: SMMLA/UMMLA/USMMLA/USDOT/SUDOT (FEAT_I8MM), bit 13 of
  // AT_HWCAP2 (arch/arm64/include/uapi/asm/hwcap.h, fixed ABI).
  constexpr unsigned long kHwcap2I8mm = 1UL << 13;
  return (getauxval(AT_HWCAP2) & kHwcap2I8mm) != 0;
#else
  // Debian 12's cpuinfo (libcpuinfo-dev) has no i8mm query
  // (cpuinfo_has_arm_i8mm came later), so off Linux the kernel stays unused.
  return false;
#endif
}
#endif

}  // namespace edgellm::ops::kernels
