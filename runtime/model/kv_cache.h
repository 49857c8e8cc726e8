// The key/value cache: for every layer and every sequence slot, the keys and
// values of the positions that layer can still attend to, allocated once at
// start.
//
// A layer that attends to all earlier positions holds `context` rows per
// slot; a sliding-window layer (window W) holds only min(W, context) rows, a
// ring: position p lives in row p % rows(layer). So a model with local and
// global layers (Gemma 3) holds the whole context only for its global
// layers.
//
// Layout per (layer, slot): keys [rows][kv_dim] then values [rows][kv_dim],
// element type f32 or f16. Slots let several sequences (the scheduler's
// concurrent streams) decode in one batch.
//
// Not thread-safe; owned by one Transformer.
#ifndef EDGELLM_RUNTIME_MODEL_KV_CACHE_H_
#define EDGELLM_RUNTIME_MODEL_KV_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace edgellm::model {

enum class KvCacheType { kF32, kF16 };

class KvCache {
 public:
  // `layer_rows[l]`: rows of layer l per slot, in 1..context. Fails with
  // RESOURCE_EXHAUSTED (naming the size) if memory is short.
  static absl::StatusOr<std::unique_ptr<KvCache>> Create(
      absl::Span<const int32_t> layer_rows, int32_t slots, int32_t context,
      int32_t kv_dim, KvCacheType type);
  // Every layer holding the whole context.
  static absl::StatusOr<std::unique_ptr<KvCache>> Create(int32_t layers,
                                                         int32_t slots,
                                                         int32_t context,
                                                         int32_t kv_dim,
                                                         KvCacheType type);

  int32_t layers() const { return static_cast<int32_t>(layers_.size()); }
  int32_t slots() const { return slots_; }
  // Positions per slot (the longest sequence).
  int32_t context() const { return context_; }
  int32_t kv_dim() const { return kv_dim_; }
  KvCacheType type() const { return type_; }
  size_t bytes() const { return bytes_; }
  // Bytes one slot holds over all layers.
  size_t bytes_per_slot() const { return bytes_ / slots_; }
  size_t element_bytes() const { return type_ == KvCacheType::kF32 ? 4 : 2; }
  // Rows of `layer` per slot: context, or the ring of a windowed layer.
  int32_t rows(int32_t layer) const { return layers_[layer].rows; }

  // Row `row` (< rows(layer)) of the keys / values of (layer, slot): kv_dim
  // elements. The row of position p is p % rows(layer).
  void* key(int32_t layer, int32_t slot, int32_t row) const {
    return base_ + Offset(layer, slot, row);
  }
  void* value(int32_t layer, int32_t slot, int32_t row) const {
    return base_ + Offset(layer, slot, row) + layers_[layer].plane_bytes;
  }

 private:
  KvCache() = default;
  struct Layer {
    int32_t rows = 0;
    size_t offset = 0;       // of slot 0's keys
    size_t plane_bytes = 0;  // one of keys/values of one slot
  };
  size_t Offset(int32_t layer, int32_t slot, int32_t row) const {
    const Layer& l = layers_[layer];
    return l.offset + size_t(slot) * 2 * l.plane_bytes +
           size_t(row) * kv_dim_ * element_bytes();
  }
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> storage_;
  uint8_t* base_ = nullptr;
  std::vector<Layer> layers_;
  int32_t slots_ = 0, context_ = 0, kv_dim_ = 0;
  KvCacheType type_ = KvCacheType::kF32;
  size_t bytes_ = 0;
};

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_KV_CACHE_H_
