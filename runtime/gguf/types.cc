#include "runtime/gguf/types.h"

#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "runtime/gguf/internal/sv.h"

namespace edgellm::gguf {
namespace {

using internal::Sv;

// Super-block size of the k-quants and i-quants (ggml-common.h QK_K).
constexpr int64_t kQK = 256;

struct TypeRow {
  uint32_t code;
  TensorTypeTraits traits;
};

// Block sizes and bytes per block as in ggml (ggml.c type_traits, with the
// block structs of ggml-common.h). Codes 4 and 5 (q4_2, q4_3) were removed
// from ggml before GGUF existed; 31..33 and 36..38 were repacked layouts since
// removed from files.
constexpr TypeRow kTypes[] = {
    {0, {"f32", 1, 4}},
    {1, {"f16", 1, 2}},
    {2, {"q4_0", 32, 2 + 16}},                            // fp16 d, 32 nibbles
    {3, {"q4_1", 32, 2 + 2 + 16}},                        // fp16 d, m
    {6, {"q5_0", 32, 2 + 4 + 16}},                        // d, qh[4], qs[16]
    {7, {"q5_1", 32, 2 + 2 + 4 + 16}},                    // d, m, qh, qs
    {8, {"q8_0", 32, 2 + 32}},                            // d, qs[32]
    {9, {"q8_1", 32, 2 + 2 + 32}},                        // d, s, qs[32]
    {10, {"q2_K", kQK, kQK / 16 + kQK / 4 + 2 + 2}},      // 84
    {11, {"q3_K", kQK, kQK / 8 + kQK / 4 + 12 + 2}},      // 110
    {12, {"q4_K", kQK, 2 + 2 + 12 + kQK / 2}},            // 144
    {13, {"q5_K", kQK, 2 + 2 + 12 + kQK / 8 + kQK / 2}},  // 176
    {14, {"q6_K", kQK, kQK / 2 + kQK / 4 + kQK / 16 + 2}},       // 210
    {15, {"q8_K", kQK, 4 + kQK + 2 * (kQK / 16)}},               // 292
    {16, {"iq2_xxs", kQK, 2 + 2 * (kQK / 8)}},                   // 66
    {17, {"iq2_xs", kQK, 2 + 2 * (kQK / 8) + kQK / 32}},         // 74
    {18, {"iq3_xxs", kQK, 2 + 3 * (kQK / 8)}},                   // 98
    {19, {"iq1_s", kQK, 2 + kQK / 8 + kQK / 16}},                // 50
    {20, {"iq4_nl", 32, 2 + 16}},                                // 18
    {21, {"iq3_s", kQK, 2 + kQK / 4 + kQK / 32 + kQK / 8 + 4}},  // 110
    {22, {"iq2_s", kQK, 2 + kQK / 4 + kQK / 32 + kQK / 32}},     // 82
    {23, {"iq4_xs", kQK, 2 + 2 + kQK / 64 + kQK / 2}},           // 136
    {24, {"i8", 1, 1}},
    {25, {"i16", 1, 2}},
    {26, {"i32", 1, 4}},
    {27, {"i64", 1, 8}},
    {28, {"f64", 1, 8}},
    {29, {"iq1_m", kQK, kQK / 8 + kQK / 16 + kQK / 32}},  // 56
    {30, {"bf16", 1, 2}},
    {34, {"tq1_0", kQK, (kQK - 4 * kQK / 64) / 5 + kQK / 64 + 2}},  // 54
    {35, {"tq2_0", kQK, kQK / 4 + 2}},                              // 66
    {39, {"mxfp4", 32, 1 + 16}},                                    // 17
};

}  // namespace

absl::StatusOr<TensorTypeTraits> GetTensorTypeTraits(uint32_t type_code) {
  for (const TypeRow& row : kTypes) {
    if (row.code == type_code) return row.traits;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown ggml tensor type code ", type_code));
}

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kUint8:
      return "uint8";
    case ValueType::kInt8:
      return "int8";
    case ValueType::kUint16:
      return "uint16";
    case ValueType::kInt16:
      return "int16";
    case ValueType::kUint32:
      return "uint32";
    case ValueType::kInt32:
      return "int32";
    case ValueType::kFloat32:
      return "float32";
    case ValueType::kBool:
      return "bool";
    case ValueType::kString:
      return "string";
    case ValueType::kArray:
      return "array";
    case ValueType::kUint64:
      return "uint64";
    case ValueType::kInt64:
      return "int64";
    case ValueType::kFloat64:
      return "float64";
  }
  return "unknown";
}

uint64_t ScalarValueSize(ValueType type) {
  switch (type) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kBool:
      return 1;
    case ValueType::kUint16:
    case ValueType::kInt16:
      return 2;
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kFloat32:
      return 4;
    case ValueType::kUint64:
    case ValueType::kInt64:
    case ValueType::kFloat64:
      return 8;
    case ValueType::kString:
    case ValueType::kArray:
      return 0;
  }
  return 0;
}

bool IsKnownValueType(uint32_t code) {
  return code <= static_cast<uint32_t>(ValueType::kFloat64);
}

absl::StatusOr<uint64_t> TensorBytes(TensorType type,
                                     const std::vector<int64_t>& dims) {
  absl::StatusOr<TensorTypeTraits> traits =
      GetTensorTypeTraits(static_cast<uint32_t>(type));
  if (!traits.ok()) return traits.status();
  if (dims.empty() || dims.size() > kMaxDims) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a tensor has 1 to ", kMaxDims, " dims, got ", dims.size()));
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t elements = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("dim ", i, " is ", dims[i], "; dims must be positive"));
    }
    if (elements > kMax / dims[i]) {
      return absl::InvalidArgumentError(
          absl::StrCat("element count overflows int64 at dim ", i));
    }
    elements *= dims[i];
  }
  if (dims[0] % traits->block_size != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("dims[0] = ", dims[0], " is not a multiple of the ",
                     Sv(traits->name), " block size ", traits->block_size));
  }
  // elements / block_size blocks, each type_size bytes; the block count is
  // at most 2^63, so check the multiplication in uint64.
  const uint64_t blocks = static_cast<uint64_t>(elements / traits->block_size);
  const uint64_t type_size = static_cast<uint64_t>(traits->type_size);
  if (blocks > std::numeric_limits<uint64_t>::max() / type_size) {
    return absl::InvalidArgumentError("tensor byte size overflows uint64");
  }
  return blocks * type_size;
}

}  // namespace edgellm::gguf
