// A 64-byte-aligned growable buffer for the x86 SIMD kernels' per-thread
// scratch (activation sums and scales, transposed weight groups), shared by
// the Q8_0 (q8_0_gemm_avx512vnni.cc) and the other types' kernels
// (quant_gemm_x86_inl.h).
//
// Deliberately not std::vector: a template instantiated in an AVX2 or
// AVX-512 translation unit can emit weak copies of its out-of-line members
// (e.g. _M_default_append at -O1/-O2) that the linker may then use for
// baseline code on a CPU without those instructions. Internal linkage, so
// each ISA's unit gets its own copy. Allocation failure throws
// std::bad_alloc, as std::vector would. The contents are not kept when it
// grows.
#ifndef EDGELLM_OPS_KERNELS_X86_RAW_BUFFER_INL_H_
#define EDGELLM_OPS_KERNELS_X86_RAW_BUFFER_INL_H_

#include <cstddef>
#include <new>

namespace edgellm::ops::kernels {
namespace {

class RawBuffer {
 public:
  RawBuffer() = default;
  RawBuffer(const RawBuffer&) = delete;
  RawBuffer& operator=(const RawBuffer&) = delete;
  ~RawBuffer() { Free(); }
  void* Reserve(size_t bytes) {
    if (bytes > bytes_) {
      Free();
      p_ = ::operator new (bytes, std::align_val_t{64});
      bytes_ = bytes;
    }
    return p_;
  }

 private:
  void Free() {
    if (p_ != nullptr) ::operator delete (p_, std::align_val_t{64});
    p_ = nullptr;
    bytes_ = 0;
  }
  void* p_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace
}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_X86_RAW_BUFFER_INL_H_
