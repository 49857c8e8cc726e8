// The key/value cache: for every layer and every sequence slot, the keys and
// values of positions 0..context-1, allocated once at start.
//
// Layout per (layer, slot): keys [context][kv_dim] then values
// [context][kv_dim], element type f32 or f16. Slots let several sequences
// (the scheduler's concurrent streams) decode in one batch.
//
// Not thread-safe; owned by one Transformer.
#ifndef EDGELLM_RUNTIME_MODEL_KV_CACHE_H_
#define EDGELLM_RUNTIME_MODEL_KV_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"

namespace edgellm::model {

enum class KvCacheType { kF32, kF16 };

class KvCache {
 public:
  // Fails with RESOURCE_EXHAUSTED (naming the size) if memory is short.
  static absl::StatusOr<std::unique_ptr<KvCache>> Create(
      int32_t layers, int32_t slots, int32_t context, int32_t kv_dim,
      KvCacheType type);

  int32_t layers() const { return layers_; }
  int32_t slots() const { return slots_; }
  int32_t context() const { return context_; }
  int32_t kv_dim() const { return kv_dim_; }
  KvCacheType type() const { return type_; }
  size_t bytes() const { return bytes_; }
  size_t element_bytes() const { return type_ == KvCacheType::kF32 ? 4 : 2; }

  // Row `pos` of the keys / values of (layer, slot): kv_dim elements.
  void* key(int32_t layer, int32_t slot, int32_t pos) const {
    return base_ + Offset(layer, slot, pos);
  }
  void* value(int32_t layer, int32_t slot, int32_t pos) const {
    return base_ + Offset(layer, slot, pos) + plane_bytes_;
  }

 private:
  KvCache() = default;
  size_t Offset(int32_t layer, int32_t slot, int32_t pos) const {
    return (size_t(layer) * slots_ + slot) * 2 * plane_bytes_ +
           size_t(pos) * kv_dim_ * element_bytes();
  }
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> storage_;
  uint8_t* base_ = nullptr;
  int32_t layers_ = 0, slots_ = 0, context_ = 0, kv_dim_ = 0;
  KvCacheType type_ = KvCacheType::kF32;
  size_t plane_bytes_ = 0;  // one of keys/values of one (layer, slot)
  size_t bytes_ = 0;
};

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_KV_CACHE_H_
