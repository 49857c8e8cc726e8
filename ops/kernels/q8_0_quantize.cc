// Activation quantization mirroring llama.cpp's x86 quantize_row_q8_0
// (ggml/src/ggml-cpu/arch/x86/quants.c, AVX2 branch):
//   maxScalar = max |x|;  d = maxScalar / 127.f;  y.d = FP32_TO_FP16(d);
//   id = maxScalar != 0 ? 127.f / maxScalar : 0;
//   q = _mm256_round_ps(x * id, _MM_ROUND_NEAREST)   (ties to even)
// ggml's scalar quantize_row_q8_0_ref instead uses id = 1/d and roundf (ties
// away from zero); the two differ in the last bit of x*id and on exact .5
// ties. The golden file was produced by an x86 build, so we follow AVX2.
// std::nearbyint rounds in the current mode, which is round-to-nearest-even
// unless someone changed it (nobody in this process does).
#include <cmath>
#include <cstdint>

#include "ops/kernels/q8_0_gemm.h"
#include "quant/fp16.h"

namespace edgellm::ops::kernels {

void QuantizeRowQ8_0Activations(const float* x, quant::BlockQ8_0* y, size_t k) {
  constexpr float kQMax = 127.0f;
  for (size_t b = 0; b < k / quant::kQ8_0BlockSize; ++b) {
    const float* xb = x + b * quant::kQ8_0BlockSize;
    float amax = 0.0f;
    for (int i = 0; i < quant::kQ8_0BlockSize; ++i) {
      amax = std::fmax(amax, std::fabs(xb[i]));
    }
    const float d = amax / kQMax;
    const float id = amax != 0.0f ? kQMax / amax : 0.0f;
    y[b].d = quant::Fp32ToFp16(d);
    for (int i = 0; i < quant::kQ8_0BlockSize; ++i) {
      const float r = std::nearbyint(xb[i] * id);
      // In range for finite input; NaN/Inf input becomes -128, like x86's
      // cvtps2dq "integer indefinite" after saturating packs.
      y[b].qs[i] =
          (r >= -128.0f && r <= 127.0f) ? static_cast<int8_t>(r) : int8_t{-128};
    }
  }
}

}  // namespace edgellm::ops::kernels
