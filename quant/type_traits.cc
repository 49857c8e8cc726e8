#include "quant/type_traits.h"

#include "quant/iq4.h"
#include "quant/k_quants.h"
#include "quant/q4_q5.h"
#include "quant/q8_0.h"
#include "quant/q8_1.h"
#include "quant/q8_k.h"

namespace edgellm::quant {
namespace {

using gguf::TensorType;

// Adapts a typed row function to the table's void* signature.
template <typename Block, void (*F)(const float*, Block*, int64_t)>
void QuantizeAs(const float* x, void* y, int64_t n) {
  F(x, static_cast<Block*>(y), n);
}
template <typename Block, void (*F)(const Block*, float*, int64_t)>
void DequantizeAs(const void* x, float* y, int64_t n) {
  F(static_cast<const Block*>(x), y, n);
}

void QuantizeQ8_0(const float* x, void* y, int64_t n) {
  QuantizeRowQ8_0(x, static_cast<BlockQ8_0*>(y), static_cast<size_t>(n));
}
void DequantizeQ8_0(const void* x, float* y, int64_t n) {
  DequantizeRowQ8_0(static_cast<const BlockQ8_0*>(x), y,
                    static_cast<size_t>(n));
}

#define EDGELLM_WEIGHT_TYPE(T, name, values, partner)                      \
  QuantTypeTraits {                                                        \
    TensorType::k##T, name, values, sizeof(Block##T), TensorType::partner, \
        &QuantizeAs<Block##T, &QuantizeRow##T>,                            \
        &DequantizeAs<Block##T, &DequantizeRow##T>                         \
  }

constexpr QuantTypeTraits kTypes[] = {
    EDGELLM_WEIGHT_TYPE(Q4_0, "q4_0", 32, kQ8_0),
    EDGELLM_WEIGHT_TYPE(Q4_1, "q4_1", 32, kQ8_1),
    EDGELLM_WEIGHT_TYPE(Q5_0, "q5_0", 32, kQ8_0),
    EDGELLM_WEIGHT_TYPE(Q5_1, "q5_1", 32, kQ8_1),
    {TensorType::kQ8_0, "q8_0", 32, sizeof(BlockQ8_0), TensorType::kQ8_0,
     &QuantizeQ8_0, &DequantizeQ8_0},
    {TensorType::kQ8_1, "q8_1", 32, sizeof(BlockQ8_1), TensorType::kF32,
     nullptr, nullptr},
    EDGELLM_WEIGHT_TYPE(Q2_K, "q2_K", 256, kQ8_K),
    EDGELLM_WEIGHT_TYPE(Q3_K, "q3_K", 256, kQ8_K),
    EDGELLM_WEIGHT_TYPE(Q4_K, "q4_K", 256, kQ8_K),
    EDGELLM_WEIGHT_TYPE(Q5_K, "q5_K", 256, kQ8_K),
    EDGELLM_WEIGHT_TYPE(Q6_K, "q6_K", 256, kQ8_K),
    {TensorType::kQ8_K, "q8_K", 256, sizeof(BlockQ8_K), TensorType::kF32,
     nullptr, nullptr},
    EDGELLM_WEIGHT_TYPE(IQ4_NL, "iq4_nl", 32, kQ8_0),
    EDGELLM_WEIGHT_TYPE(IQ4_XS, "iq4_xs", 256, kQ8_K),
};

#undef EDGELLM_WEIGHT_TYPE

}  // namespace

absl::Span<const QuantTypeTraits> QuantTypes() { return kTypes; }

const QuantTypeTraits* FindQuantType(gguf::TensorType type) {
  for (const QuantTypeTraits& t : kTypes) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

}  // namespace edgellm::quant
