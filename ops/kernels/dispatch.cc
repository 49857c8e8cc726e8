#include "ops/kernels/dispatch.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ops/kernels/cpu_features.h"

namespace edgellm::ops::kernels {
namespace {

constexpr Q8_0GemmKernel kQ8_0Kernels[] = {
    {"ref", &Q8_0GemmRef, &CpuAlways, &QuantizeRowQ8_0Activations},
#if defined(__x86_64__)
    {"avx2", &Q8_0GemmAvx2, &CpuHasAvx2, &QuantizeRowQ8_0ActivationsAvx2},
    {"avx512vnni", &Q8_0GemmAvx512Vnni, &CpuHasAvx512Vnni,
     &QuantizeRowQ8_0ActivationsAvx2, &Q8_0PackAvx512Vnni,
     &Q8_0UnpackRowAvx512Vnni},
#endif
#if defined(__aarch64__)
    {"neon", &Q8_0GemmNeon, &CpuAlways,
     &QuantizeRowQ8_0Activations},  // NEON is part of ARMv8-A
    {"neon_dotprod", &Q8_0GemmNeonDotprod, &CpuHasNeonDot,
     &QuantizeRowQ8_0Activations},
    {"neon_i8mm", &Q8_0GemmNeonI8mm, &CpuHasNeonI8mm,
     &QuantizeRowQ8_0Activations},
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
