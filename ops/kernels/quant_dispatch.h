// Runtime kernel selection for the block-quantized weight types other than
// Q8_0 (whose table is dispatch.h), internal to ops/. As there: every kernel
// compiled in is listed with a predicate saying whether this CPU can run it,
// and the fastest supported one is chosen once per type and cached.
#ifndef EDGELLM_OPS_KERNELS_QUANT_DISPATCH_H_
#define EDGELLM_OPS_KERNELS_QUANT_DISPATCH_H_

#include "absl/types/span.h"
#include "ops/kernels/quant_gemm.h"
#include "runtime/gguf/types.h"

namespace edgellm::ops::kernels {

// One GEMM kernel of one weight type (quant_gemm.h states what every kernel
// of a type computes).
struct QuantGemmKernel {
  // "ref", "avx2", "avx512vnni", "neon", "neon_dotprod", "neon_i8mm"
  const char* name;
  gguf::TensorType type;
  QuantGemmFn fn;
  bool (*supported)();  // may be called before cpuinfo_initialize()
  // Optional weight repacking for this kernel (see QuantPackFn); unpack_row
  // is set whenever pack is.
  QuantPackFn pack = nullptr;
  QuantUnpackRowFn unpack_row = nullptr;
};

// The kernels built for `type` on this architecture, the reference first and
// the fastest last; empty for Q8_0 and the types without kernels.
absl::Span<const QuantGemmKernel> QuantGemmKernels(gguf::TensorType type);

// The last supported kernel of QuantGemmKernels(type), chosen once per
// process, or nullptr when the type has none. EDGELLM_QUANT_KERNEL=<name>
// picks the supported kernel of that name instead, for every type that has
// one ("ref" runs the reference everywhere). Thread-safe.
const QuantGemmKernel* BestQuantGemmKernel(gguf::TensorType type);

// True when the chosen kernel of `type` is the plain reference (no SIMD
// kernel for this type on this CPU); `edgellm version` and `bench` say so.
bool QuantTypeUsesReferenceKernel(gguf::TensorType type);

// The activation quantizer to run for a partner format on this CPU: a SIMD
// one with byte-identical output where one is built and supported (x86
// with AVX2: Q8_0 QuantizeRowQ8_0ActivationsAvx2, Q8_K QuantizeRowQ8_KAvx2),
// else format.quantize. EDGELLM_QUANT_KERNEL=ref keeps format.quantize.
ActivationQuantizeFn BestActivationQuantizer(const ActivationFormat& format);

}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_QUANT_DISPATCH_H_
