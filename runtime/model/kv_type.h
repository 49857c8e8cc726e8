// The element type of the KV cache (--kv-type) and the bytes one position's
// keys (or values) take in it.
//
//   f32   4 bytes a value.
//   f16   IEEE half, 2 bytes a value.
//   q8_0  ggml's Q8_0 blocks (quant/q8_0.h: 32 int8 values and one fp16
//         scale, 34 bytes) along each position's row of kv_dim = n_kv_heads
//         x head_dim values, as ggml stores a row of its K/V cache tensors:
//         1.0625 bytes a value, 53% of f16. When head_dim is a multiple of 32
//         (most models) the blocks lie within heads; otherwise a block holds
//         the values of neighbouring heads and each head reads its part with
//         that block's scale (stories260K: head_dim 8, four heads a block).
//         kv_dim must be a multiple of 32 (KvTypeSupported).
#ifndef EDGELLM_RUNTIME_MODEL_KV_TYPE_H_
#define EDGELLM_RUNTIME_MODEL_KV_TYPE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgellm::model {

enum class KvCacheType { kF32, kF16, kQ8_0 };

inline constexpr size_t kKvQ8_0BlockValues = 32;
inline constexpr size_t kKvQ8_0BlockBytes = 34;

// Bytes of one position's keys (or values): kv_dim values of `type`.
inline constexpr size_t KvRowBytes(KvCacheType type, size_t kv_dim) {
  switch (type) {
    case KvCacheType::kF32:
      return kv_dim * 4;
    case KvCacheType::kF16:
      return kv_dim * 2;
    case KvCacheType::kQ8_0:
      return kv_dim / kKvQ8_0BlockValues * kKvQ8_0BlockBytes;
  }
  return 0;
}

// "f32", "f16", "q8_0": the --kv-type spelling.
inline const char* KvTypeName(KvCacheType type) {
  switch (type) {
    case KvCacheType::kF32:
      return "f32";
    case KvCacheType::kF16:
      return "f16";
    case KvCacheType::kQ8_0:
      return "q8_0";
  }
  return "?";
}

// The type a --kv-type value names, or nullopt.
inline std::optional<KvCacheType> ParseKvType(std::string_view name) {
  if (name == "f32") return KvCacheType::kF32;
  if (name == "f16") return KvCacheType::kF16;
  if (name == "q8_0") return KvCacheType::kQ8_0;
  return std::nullopt;
}

// OK when a model of n_kv_heads heads of head_dim values can cache its keys
// and values as `type`; q8_0 needs kv_dim = n_kv_heads x head_dim to be a
// multiple of 32 (whole blocks per position). The error names both.
inline absl::Status KvTypeSupported(KvCacheType type, int64_t n_kv_heads,
                                    int64_t head_dim) {
  if (type != KvCacheType::kQ8_0 ||
      (n_kv_heads * head_dim) % int64_t{kKvQ8_0BlockValues} == 0) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--kv-type q8_0 stores each position's ", n_kv_heads * head_dim,
      " key values (", n_kv_heads, " KV heads x head_dim ", head_dim,
      ") in blocks of 32, and ", n_kv_heads * head_dim,
      " is not a multiple of 32; use --kv-type f16"));
}

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_KV_TYPE_H_
