// GGUF value and tensor type codes, and tensor size arithmetic.
#ifndef EDGELLM_RUNTIME_GGUF_TYPES_H_
#define EDGELLM_RUNTIME_GGUF_TYPES_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace edgellm::gguf {

// gguf_metadata_value_type (ggml docs/gguf.md).
enum class ValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

// ggml_type codes as written in GGUF tensor infos. Only some are computable
// by edgellm; all known codes are recognised so errors can name them.
enum class TensorType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  // Codes 31..33 and 36..38 were ARM/AArch64 repacking layouts that ggml
  // removed from GGUF; they are rejected as unknown.
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
};

// ggml tensors have at most GGML_MAX_DIMS = 4 dimensions (ggml.h).
inline constexpr int kMaxDims = 4;

struct TensorTypeTraits {
  std::string_view name;  // as ggml names it: "f32", "q8_0", ...
  int64_t block_size;     // elements per block (1 for plain types)
  int64_t type_size;      // bytes per block
};

// Traits of a known type; INVALID_ARGUMENT for an unknown code.
absl::StatusOr<TensorTypeTraits> GetTensorTypeTraits(uint32_t type_code);

// "uint8", "string", "array", ...; "unknown" for a code outside the enum.
std::string_view ValueTypeName(ValueType type);

// Bytes of one scalar of `type` as stored in GGUF; 0 for string, array and
// unknown codes (whose size depends on their content).
uint64_t ScalarValueSize(ValueType type);

// True for the 13 value types the spec defines.
bool IsKnownValueType(uint32_t code);

// Bytes of a tensor of this type and these dims (dims[0] fastest), checking
// that there are 1..4 dims, each positive, that dims[0] is a multiple of the
// block size and that neither the element count (int64) nor the byte count
// overflows.
absl::StatusOr<uint64_t> TensorBytes(TensorType type,
                                     const std::vector<int64_t>& dims);

}  // namespace edgellm::gguf

#endif  // EDGELLM_RUNTIME_GGUF_TYPES_H_
