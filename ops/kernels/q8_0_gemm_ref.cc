// Reference Q8_0 GEMM: the arithmetic contract of q8_0_gemm.h, one value at
// a time. Built with -ffp-contract=off so the compiler cannot fuse or reorder
// what the contract spells out; std::fma is the one fused operation.
#include <cmath>
#include <cstdint>

#include "ops/kernels/q8_0_gemm.h"
#include "quant/fp16.h"

namespace edgellm::ops::kernels {

namespace {

float DotRef(const quant::BlockQ8_0* w, const quant::BlockQ8_0* x,
             size_t n_blocks) {
  float acc = 0.0f;
  for (size_t k = 0; k < n_blocks; ++k) {
    int32_t s = 0;
    for (int i = 0; i < quant::kQ8_0BlockSize; ++i) {
      s += int32_t{w[k].qs[i]} * int32_t{x[k].qs[i]};
    }
    const float d = quant::Fp16ToFp32(w[k].d) * quant::Fp16ToFp32(x[k].d);
    acc = std::fma(static_cast<float>(s), d, acc);
  }
  return acc;
}

}  // namespace

void Q8_0GemmRef(const Q8_0GemmArgs& a, size_t o_begin, size_t o_end) {
  for (size_t o = o_begin; o < o_end; ++o) {
    const quant::BlockQ8_0* w = a.w + o * a.n_blocks;
    for (size_t b = 0; b < a.batch; ++b) {
      float v = DotRef(w, a.x + b * a.n_blocks, a.n_blocks);
      if (a.bias != nullptr) v += a.bias[o];
      a.y[b * a.y_stride + o] = v;
    }
  }
}

}  // namespace edgellm::ops::kernels
