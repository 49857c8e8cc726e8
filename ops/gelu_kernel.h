// Internal to ops/activation.cc and its test: the loop of the table GELU
// (ops/activation.h), one implementation per ISA, chosen at run time.
//
// A kernel maps x[0, n) to y: 0 for x <= -10, x for x >= 10, otherwise
// table[fp16 bits of x] (x rounded to nearest even). Every kernel gives the
// same bits as the portable one. In place (y == x) is allowed.
#ifndef EDGELLM_OPS_GELU_KERNEL_H_
#define EDGELLM_OPS_GELU_KERNEL_H_

#include <cstddef>
#include <vector>

namespace edgellm::ops::gelu_internal {

// Outside (-kGeluTableLimit, kGeluTableLimit) ggml's table GELU is 0 or x.
inline constexpr float kGeluTableLimit = 10.0f;

struct GeluKernel {
  const char* name;
  // `table` holds 65536 floats: gelu of every fp16 bit pattern.
  void (*run)(const float* table, const float* x, size_t n, float* y);
};

// Plain C++ (any CPU): the software fp16 conversion of quant/fp16.h.
extern const GeluKernel kGeluKernelPortable;
#if defined(__x86_64__)
// AVX2 + F16C: eight conversions per VCVTPS2PH, eight lookups per gather
// (ops/gelu_kernel_avx2.cc).
extern const GeluKernel kGeluKernelAvx2;
#endif

// The kernels this CPU can run, portable first, best last.
std::vector<const GeluKernel*> SupportedGeluKernels();
const GeluKernel& BestGeluKernel();

}  // namespace edgellm::ops::gelu_internal

#endif  // EDGELLM_OPS_GELU_KERNEL_H_
