#include "ops/kernels/dispatch.h"

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

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace edgellm::ops::kernels {
namespace {

bool Always() { return true; }

#if defined(__x86_64__)
bool HasAvx2() {
  // The AVX2 kernel also uses FMA (the contract's fused multiply-add) and
  // F16C (scale conversion); every AVX2 CPU has them, but check anyway.
  return cpuinfo_initialize() && cpuinfo_has_x86_avx2() &&
         cpuinfo_has_x86_fma3() && cpuinfo_has_x86_f16c();
}
bool HasAvx512Vnni() {
  return HasAvx2() && cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512bw() &&
         cpuinfo_has_x86_avx512vl() && cpuinfo_has_x86_avx512vnni();
}
#endif

#if defined(__aarch64__)
bool HasNeonDot() {
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
bool HasNeonI8mm() {
  // The i8mm kernel takes the dotprod loop for a batch of 1, so it needs
  // both (every FEAT_I8MM CPU so far has FEAT_DotProd; check anyway).
  if (!HasNeonDot()) return false;
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

constexpr Q8_0GemmKernel kQ8_0Kernels[] = {
    {"ref", &Q8_0GemmRef, &Always, &QuantizeRowQ8_0Activations},
#if defined(__x86_64__)
    {"avx2", &Q8_0GemmAvx2, &HasAvx2, &QuantizeRowQ8_0ActivationsAvx2},
    {"avx512vnni", &Q8_0GemmAvx512Vnni, &HasAvx512Vnni,
     &QuantizeRowQ8_0ActivationsAvx2, &Q8_0PackAvx512Vnni,
     &Q8_0UnpackRowAvx512Vnni},
#endif
#if defined(__aarch64__)
    {"neon", &Q8_0GemmNeon, &Always,
     &QuantizeRowQ8_0Activations},  // NEON is part of ARMv8-A
    {"neon_dotprod", &Q8_0GemmNeonDotprod, &HasNeonDot,
     &QuantizeRowQ8_0Activations},
    {"neon_i8mm", &Q8_0GemmNeonI8mm, &HasNeonI8mm, &QuantizeRowQ8_0Activations},
#endif
};

}  // namespace

absl::Span<const Q8_0GemmKernel> Q8_0GemmKernels() { return kQ8_0Kernels; }

const Q8_0GemmKernel& BestQ8_0GemmKernel() {
  static const Q8_0GemmKernel* const best = [] {
    const Q8_0GemmKernel* k = &kQ8_0Kernels[0];
    for (const Q8_0GemmKernel& c : kQ8_0Kernels) {
      if (c.supported()) k = &c;
    }
    // EDGELLM_Q8_0_KERNEL=name picks a slower supported kernel instead (to
    // compare kernels end to end, or to test the paths of a smaller CPU).
    const char* want = std::getenv("EDGELLM_Q8_0_KERNEL");
    if (want == nullptr || *want == '\0') return k;
    for (const Q8_0GemmKernel& c : kQ8_0Kernels) {
      if (std::strcmp(c.name, want) == 0 && c.supported()) return &c;
    }
    std::fprintf(stderr,
                 "edgellm: EDGELLM_Q8_0_KERNEL=%s is not a kernel this CPU "
                 "supports; using %s\n",
                 want, k->name);
    return k;
  }();
  return *best;
}

}  // namespace edgellm::ops::kernels
