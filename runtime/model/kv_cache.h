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
// element type f32, f16 or q8_0 (runtime/model/kv_type.h: a row of q8_0 is
// kv_dim / 32 blocks). Slots let several sequences (the scheduler's
// concurrent streams) decode in one batch.
//
// Paged (KvPaging::block_size > 0): every layer instead reads pools of
// fixed-size blocks shared by all slots (per layer: keys
// [blocks][block_size][kv_dim], then values likewise); a slot's block table
// (KvBlockTables) says which block holds which positions. The full-context
// layers share group 0's pool and table; the sliding-window layers of one
// window share a group of their own, whose pool holds every slot's window
// (KvBlockTables::WindowPeakBlocks), so their memory is bounded by the
// window, not the context. Memory
// then follows the tokens sequences hold, and full blocks are shared between
// sequences with the same prefix, sliding-window layers included.
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
#include "runtime/model/kv_block_tables.h"
#include "runtime/model/kv_type.h"

namespace edgellm::model {

struct KvPaging {
  int32_t block_size = 0;  // positions per block; 0: one slab per slot
  // Group 0's pool (the full-context layers); 0: slots x ceil(context /
  // block_size), what the slabs would hold.
  int32_t blocks = 0;
  // Reuse full blocks of equal prefixes.
  bool prefix_cache = true;
  // The most positions one forward pass writes for one slot (the
  // Transformer's max_batch): sizes the sliding-window pools.
  int32_t max_batch = 64;
};

class KvCache {
 public:
  // `layer_rows[l]`: rows of layer l per slot, in 1..context. Fails with
  // RESOURCE_EXHAUSTED (naming the size) if memory is short.
  static absl::StatusOr<std::unique_ptr<KvCache>> Create(
      absl::Span<const int32_t> layer_rows, int32_t slots, int32_t context,
      int32_t kv_dim, KvCacheType type, const KvPaging& paging = {});
  // The bytes Create would allocate with these arguments (its errors, none
  // for memory): what a server checks before it loads.
  static absl::StatusOr<size_t> PlannedBytes(
      absl::Span<const int32_t> layer_rows, int32_t slots, int32_t context,
      int32_t kv_dim, KvCacheType type, const KvPaging& paging = {});
  // The pool of a sliding-window group of `window` positions: every slot's
  // peak (KvBlockTables::WindowPeakBlocks; Gemma 3's 512 in blocks of 16
  // with passes of 64: 38 blocks) plus one more window per slot (32), so
  // that the last window of a finished prompt stays cached while another
  // request runs at its peak: without that room, one cold request of a
  // pool's length evicts every cached window, and the next request with
  // the same prefix finds none (measured with bench/prefix_cache_bench's
  // alternating cold and warm runs on gemma3-1b). Bounded by the window,
  // not the context: 70 x 16 = 1,120 positions a slot against the ring's
  // 512.
  static int32_t DefaultWindowBlocks(int32_t window, int32_t slots,
                                     const KvPaging& paging);
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
  // Bytes one slot holds over all layers (paged: what its slab would be).
  size_t bytes_per_slot() const { return slab_bytes_per_slot_; }
  // Bytes of one position's keys (or values) in one layer.
  size_t row_bytes() const { return KvRowBytes(type_, kv_dim_); }
  // Rows of `layer` per slot: context, or the ring of a windowed layer
  // (paged: context, the positions its block table can address).
  int32_t rows(int32_t layer) const { return layers_[layer].rows; }

  // Paged: block tables (null for the slab); whether layer l uses them and
  // the group of its table and pool (0: full context, else a window).
  KvBlockTables* tables() const { return tables_.get(); }
  bool paged(int32_t layer) const { return layers_[layer].paged; }
  int32_t group(int32_t layer) const { return layers_[layer].group; }
  int32_t block_size() const { return tables_ ? tables_->block_size() : 0; }
  // Paged layer: the keys / values of block 0 (block b starts
  // b * block_size() * row_bytes() bytes later).
  void* block_keys(int32_t layer) const {
    return base_ + layers_[layer].offset;
  }
  void* block_values(int32_t layer) const {
    return base_ + layers_[layer].offset + layers_[layer].plane_bytes;
  }
  // Paged layer: row `row` (< block_size()) of block `block`'s keys/values.
  void* block_key(int32_t layer, int32_t block, int32_t row) const {
    return static_cast<uint8_t*>(block_keys(layer)) + BlockOffset(block, row);
  }
  void* block_value(int32_t layer, int32_t block, int32_t row) const {
    return static_cast<uint8_t*>(block_values(layer)) + BlockOffset(block, row);
  }
  // Copies block `from` to block `to` in every layer of `group` (copy on
  // write).
  void CopyBlock(int32_t group, int32_t from, int32_t to);

  // Row `row` (< rows(layer)) of the keys / values of (layer, slot) of a
  // layer that is not paged: row_bytes() bytes. The row of position p is
  // p % rows(layer).
  void* key(int32_t layer, int32_t slot, int32_t row) const {
    return base_ + Offset(layer, slot, row);
  }
  void* value(int32_t layer, int32_t slot, int32_t row) const {
    return base_ + Offset(layer, slot, row) + layers_[layer].plane_bytes;
  }

 private:
  KvCache() = default;
  // Lays out the layers and sizes the pools (everything but the memory).
  static absl::StatusOr<std::unique_ptr<KvCache>> Plan(
      absl::Span<const int32_t> layer_rows, int32_t slots, int32_t context,
      int32_t kv_dim, KvCacheType type, const KvPaging& paging);
  struct Layer {
    int32_t rows = 0;
    bool paged = false;
    int32_t group = 0;
    size_t offset = 0;       // of slot 0's keys (paged: block 0's)
    size_t plane_bytes = 0;  // one of keys/values of one slot (paged: all)
  };
  size_t BlockOffset(int32_t block, int32_t row) const {
    return (size_t(block) * tables_->block_size() + row) * row_bytes();
  }
  size_t Offset(int32_t layer, int32_t slot, int32_t row) const {
    const Layer& l = layers_[layer];
    return l.offset + size_t(slot) * 2 * l.plane_bytes +
           size_t(row) * row_bytes();
  }
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> storage_;
  uint8_t* base_ = nullptr;
  std::vector<Layer> layers_;
  std::unique_ptr<KvBlockTables> tables_;
  // Paged: group 0's pool size and the windowed groups (for tables_).
  int32_t blocks_ = 0;
  std::vector<KvWindowGroup> windows_;
  bool prefix_cache_ = false;
  size_t slab_bytes_per_slot_ = 0;
  int32_t slots_ = 0, context_ = 0, kv_dim_ = 0;
  KvCacheType type_ = KvCacheType::kF32;
  size_t bytes_ = 0;
};

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_KV_CACHE_H_
