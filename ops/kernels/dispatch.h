// Runtime kernel selection by CPU features (internal to ops/).
//
// Every kernel compiled into the binary is listed with a predicate saying
// whether this CPU can run it; the fastest supported one is chosen once, on
// first use, and cached. Tests and benchmarks iterate the whole table.
#ifndef EDGELLM_OPS_KERNELS_DISPATCH_H_
#define EDGELLM_OPS_KERNELS_DISPATCH_H_

#include "absl/types/span.h"
#include "ops/kernels/q8_0_gemm.h"

namespace edgellm::ops::kernels {

struct Q8_0GemmKernel {
  // "ref", "avx2", "avx512vnni", "neon", "neon_dotprod", "neon_i8mm"
  const char* name;
  Q8_0GemmFn fn;
  bool (*supported)();  // may be called before cpuinfo_initialize()
  // The activation quantizer to pair with it: QuantizeRowQ8_0Activations or
  // a faster one with identical output.
  Q8_0QuantizeFn quantize;
  // Optional weight repacking for this kernel (nullptr: it reads GGUF rows
  // as they are). See Q8_0PackFn.
  Q8_0PackFn pack = nullptr;
  Q8_0UnpackRowFn unpack_row = nullptr;  // set whenever pack is
};

// All Q8_0 kernels built for this architecture, slowest (the reference)
// first, fastest last.
absl::Span<const Q8_0GemmKernel> Q8_0GemmKernels();

// The fastest supported kernel; chosen on the first call, then constant.
// Thread-safe.
// The last supported kernel of Q8_0GemmKernels(), chosen once per process;
// the environment variable EDGELLM_Q8_0_KERNEL=<name> picks another supported
// one (an unknown or unsupported name is reported on stderr and ignored).
const Q8_0GemmKernel& BestQ8_0GemmKernel();

}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_DISPATCH_H_
