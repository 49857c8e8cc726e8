// Reference GEMM for every block-quantized weight type but Q8_0: the
// arithmetic contract of quant_gemm.h, one value at a time through the
// integer levels of quant_levels.h. Built with -ffp-contract=off so the
// compiler cannot fuse or reorder what the contract spells out; std::fma is
// the one fused operation.
#include <cmath>
#include <cstdint>

#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/quant_gemm.h"
#include "ops/kernels/quant_levels.h"
#include "quant/fp16.h"
#include "quant/q8_1.h"
#include "quant/q8_k.h"

namespace edgellm::ops::kernels {
namespace {

using gguf::TensorType;

int32_t BlockSum32(const int8_t* lv, const int8_t* x) {
  int32_t s = 0;
  for (int j = 0; j < 32; ++j) s += int32_t{lv[j]} * int32_t{x[j]};
  return s;
}

// Weight types of 32 values with Q8_0 activations.
template <typename Block>
float DotQ8_0Partner(const void* w, const void* x, size_t n_blocks) {
  const auto* wb = static_cast<const Block*>(w);
  const auto* xb = static_cast<const quant::BlockQ8_0*>(x);
  float acc = 0.0f;
  for (size_t k = 0; k < n_blocks; ++k) {
    int8_t lv[32];
    Levels(wb[k], lv);
    const float d = quant::Fp16ToFp32(wb[k].d) * quant::Fp16ToFp32(xb[k].d);
    acc = std::fma(static_cast<float>(BlockSum32(lv, xb[k].qs)), d, acc);
  }
  return acc;
}

// Weight types of 32 values with a minimum, with Q8_1 activations.
template <typename Block>
float DotQ8_1Partner(const void* w, const void* x, size_t n_blocks) {
  const auto* wb = static_cast<const Block*>(w);
  const auto* xb = static_cast<const quant::BlockQ8_1*>(x);
  float acc = 0.0f, macc = 0.0f;
  for (size_t k = 0; k < n_blocks; ++k) {
    int8_t lv[32];
    Levels(wb[k], lv);
    const float d = quant::Fp16ToFp32(wb[k].d) * quant::Fp16ToFp32(xb[k].d);
    acc = std::fma(static_cast<float>(BlockSum32(lv, xb[k].qs)), d, acc);
    macc =
        std::fma(quant::Fp16ToFp32(wb[k].m), quant::Fp16ToFp32(xb[k].s), macc);
  }
  return acc + macc;
}

// Super-block types with Q8_K activations.
template <typename Block>
float DotQ8_KPartner(const void* w, const void* x, size_t n_blocks) {
  const auto* wb = static_cast<const Block*>(w);
  const auto* xb = static_cast<const quant::BlockQ8_K*>(x);
  float acc = 0.0f, macc = 0.0f;
  for (size_t k = 0; k < n_blocks; ++k) {
    SuperBlockLevels s;
    Levels(wb[k], &s);
    int32_t isum = 0, msum = 0;
    for (int j = 0; j < quant::kQK_K / s.sub; ++j) {
      int32_t sub = 0, xsum = 0;
      for (int i = j * s.sub; i < (j + 1) * s.sub; ++i) {
        sub += int32_t{s.level[i]} * int32_t{xb[k].qs[i]};
      }
      for (int g = j * s.sub / 16; g < (j + 1) * s.sub / 16; ++g) {
        xsum += xb[k].bsums[g];
      }
      isum += s.scale[j] * sub;
      msum += s.min[j] * xsum;
    }
    acc = std::fma(static_cast<float>(isum), s.d * xb[k].d, acc);
    // Zero for the types without minimums (msum 0, dmin 0): acc - (+0) is
    // acc, so one formula serves all.
    macc = std::fma(static_cast<float>(msum), s.dmin * xb[k].d, macc);
  }
  return acc - macc;
}

template <QuantRowDotFn Dot>
void GemmRef(const QuantGemmArgs& a, size_t o_begin, size_t o_end) {
  const auto* w = static_cast<const uint8_t*>(a.w);
  const auto* x = static_cast<const uint8_t*>(a.x);
  for (size_t o = o_begin; o < o_end; ++o) {
    for (size_t b = 0; b < a.batch; ++b) {
      float v = Dot(w + o * a.w_row_bytes, x + b * a.x_row_bytes, a.n_blocks);
      if (a.bias != nullptr) v += a.bias[o];
      a.y[b * a.y_stride + o] = v;
    }
  }
}

struct RefEntry {
  TensorType type;
  QuantRowDotFn dot;
  QuantGemmFn gemm;
};

template <QuantRowDotFn Dot>
constexpr RefEntry Entry(TensorType t) {
  return RefEntry{t, Dot, &GemmRef<Dot>};
}

constexpr RefEntry kRefs[] = {
    Entry<&DotQ8_0Partner<quant::BlockQ4_0>>(TensorType::kQ4_0),
    Entry<&DotQ8_1Partner<quant::BlockQ4_1>>(TensorType::kQ4_1),
    Entry<&DotQ8_0Partner<quant::BlockQ5_0>>(TensorType::kQ5_0),
    Entry<&DotQ8_1Partner<quant::BlockQ5_1>>(TensorType::kQ5_1),
    Entry<&DotQ8_KPartner<quant::BlockQ2_K>>(TensorType::kQ2_K),
    Entry<&DotQ8_KPartner<quant::BlockQ3_K>>(TensorType::kQ3_K),
    Entry<&DotQ8_KPartner<quant::BlockQ4_K>>(TensorType::kQ4_K),
    Entry<&DotQ8_KPartner<quant::BlockQ5_K>>(TensorType::kQ5_K),
    Entry<&DotQ8_KPartner<quant::BlockQ6_K>>(TensorType::kQ6_K),
    Entry<&DotQ8_0Partner<quant::BlockIQ4_NL>>(TensorType::kIQ4_NL),
    Entry<&DotQ8_KPartner<quant::BlockIQ4_XS>>(TensorType::kIQ4_XS),
};

void QuantizeQ8_0(const float* x, void* y, int64_t k) {
  QuantizeRowQ8_0Activations(x, static_cast<quant::BlockQ8_0*>(y),
                             static_cast<size_t>(k));
}
void QuantizeQ8_1(const float* x, void* y, int64_t k) {
  quant::QuantizeRowQ8_1Activations(x, static_cast<quant::BlockQ8_1*>(y), k);
}
void QuantizeQ8_K(const float* x, void* y, int64_t k) {
  quant::QuantizeRowQ8_K(x, static_cast<quant::BlockQ8_K*>(y), k);
}

constexpr ActivationFormat kQ8_0Format{TensorType::kQ8_0, 32,
                                       sizeof(quant::BlockQ8_0), &QuantizeQ8_0};
constexpr ActivationFormat kQ8_1Format{TensorType::kQ8_1, 32,
                                       sizeof(quant::BlockQ8_1), &QuantizeQ8_1};
constexpr ActivationFormat kQ8_KFormat{TensorType::kQ8_K, quant::kQK_K,
                                       sizeof(quant::BlockQ8_K), &QuantizeQ8_K};

}  // namespace

QuantRowDotFn QuantRowDotRef(TensorType type) {
  for (const RefEntry& e : kRefs) {
    if (e.type == type) return e.dot;
  }
  return nullptr;
}

QuantGemmFn QuantGemmRef(TensorType type) {
  for (const RefEntry& e : kRefs) {
    if (e.type == type) return e.gemm;
  }
  return nullptr;
}

const ActivationFormat* ActivationFormatFor(TensorType weight_type) {
  switch (weight_type) {
    case TensorType::kQ4_0:
    case TensorType::kQ5_0:
    case TensorType::kQ8_0:
    case TensorType::kIQ4_NL:
      return &kQ8_0Format;
    case TensorType::kQ4_1:
    case TensorType::kQ5_1:
      return &kQ8_1Format;
    case TensorType::kQ2_K:
    case TensorType::kQ3_K:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
    case TensorType::kQ6_K:
    case TensorType::kIQ4_XS:
      return &kQ8_KFormat;
    default:
      return nullptr;
  }
}

}  // namespace edgellm::ops::kernels
