// One table of the block-quantized GGUF weight types edgellm computes with:
// their block shape, the activation format their dot product pairs them
// with (ggml's vec_dot_type), and type-erased reference quantize and
// dequantize functions over whole rows.
//
// Weight types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K,
// IQ4_NL, IQ4_XS. Activation-only formats (Q8_1, Q8_K) are listed with
// their block shape but no weight functions. Everything else (IQ1..IQ3,
// TQ1_0/TQ2_0, MXFP4, plain types) is not in the table.
#ifndef EDGELLM_QUANT_TYPE_TRAITS_H_
#define EDGELLM_QUANT_TYPE_TRAITS_H_

#include <cstdint>

#include "absl/types/span.h"
#include "runtime/gguf/types.h"

namespace edgellm::quant {

// Rows of n values (n a multiple of block_values).
using QuantizeRowFn = void (*)(const float* x, void* y, int64_t n);
using DequantizeRowFn = void (*)(const void* x, float* y, int64_t n);

struct QuantTypeTraits {
  gguf::TensorType type;
  const char* name;  // ggml's name: "q4_K"
  int block_values;  // 32 or 256
  int block_bytes;
  // The activation format of its dot product: Q8_0, Q8_1 or Q8_K (the
  // type itself for Q8_0); kF32 for the activation-only formats.
  gguf::TensorType vec_dot_type;
  // What llama-quantize computes without an importance matrix; nullptr for
  // the activation-only formats.
  QuantizeRowFn quantize;
  DequantizeRowFn dequantize;

  bool is_weight_type() const { return dequantize != nullptr; }
  int64_t RowBytes(int64_t n) const { return n / block_values * block_bytes; }
};

// Every entry, in ggml type-code order.
absl::Span<const QuantTypeTraits> QuantTypes();

// The entry for `type`, or nullptr when edgellm has no block code for it.
const QuantTypeTraits* FindQuantType(gguf::TensorType type);

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_TYPE_TRAITS_H_
