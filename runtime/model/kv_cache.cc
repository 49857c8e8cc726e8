#include "runtime/model/kv_cache.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgellm::model {

void KvCache::Free::operator()(uint8_t* p) const { std::free(p); }

absl::StatusOr<std::unique_ptr<KvCache>> KvCache::Create(int32_t layers,
                                                         int32_t slots,
                                                         int32_t context,
                                                         int32_t kv_dim,
                                                         KvCacheType type) {
  if (layers <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV cache dimensions must be positive: layers=", layers));
  }
  const std::vector<int32_t> rows(layers, context);
  return Create(rows, slots, context, kv_dim, type);
}

int32_t KvCache::DefaultWindowBlocks(int32_t window, int32_t slots,
                                     const KvPaging& paging) {
  const int32_t bs = paging.block_size;
  const int64_t per_slot =
      KvBlockTables::WindowPeakBlocks(window, bs, paging.max_batch) +
      (int64_t{window} + bs - 1) / bs;
  return static_cast<int32_t>(std::min<int64_t>(
      per_slot * slots, std::numeric_limits<int32_t>::max() / bs));
}

absl::StatusOr<std::unique_ptr<KvCache>> KvCache::Plan(
    absl::Span<const int32_t> layer_rows, int32_t slots, int32_t context,
    int32_t kv_dim, KvCacheType type, const KvPaging& paging) {
  if (paging.block_size < 0 || paging.blocks < 0 ||
      paging.block_size > context) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KV cache: block size ", paging.block_size, " must be in 0..", context,
        " (the context) and the block count ", paging.blocks, " not negative"));
  }
  if (layer_rows.empty() || slots <= 0 || context <= 0 || kv_dim <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KV cache dimensions must be positive: layers=", layer_rows.size(),
        " slots=", slots, " context=", context, " kv_dim=", kv_dim));
  }
  if (type == KvCacheType::kQ8_0 && kv_dim % kKvQ8_0BlockValues != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV cache: kv_dim ", kv_dim,
                     " is not a multiple of 32, as --kv-type q8_0 needs"));
  }
  std::unique_ptr<KvCache> cache(new KvCache());
  cache->slots_ = slots;
  cache->context_ = context;
  cache->kv_dim_ = kv_dim;
  cache->type_ = type;
  // All factors are < 2^31, so the products below fit in 128 bits; the
  // total is checked against a sane ceiling.
  const int32_t bs = paging.block_size;
  const int64_t blocks =
      bs == 0             ? 0
      : paging.blocks > 0 ? paging.blocks
                          : int64_t{slots} * ((int64_t{context} + bs - 1) / bs);
  if (blocks > std::numeric_limits<int32_t>::max() / std::max(bs, 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV cache: ", blocks, " blocks of ", bs,
                     " positions are more than 2^31 positions"));
  }
  cache->blocks_ = static_cast<int32_t>(blocks);
  cache->prefix_cache_ = paging.prefix_cache;
  unsigned __int128 total = 0, slab_per_slot = 0;
  for (size_t l = 0; l < layer_rows.size(); ++l) {
    const int32_t rows = layer_rows[l];
    if (rows <= 0 || rows > context) {
      return absl::InvalidArgumentError(
          absl::StrCat("KV cache layer ", l, ": ", rows,
                       " rows, must be in 1..", context, " (the context)"));
    }
    const size_t row_bytes = cache->row_bytes();
    slab_per_slot += (unsigned __int128)rows * row_bytes * 2;
    Layer layer;
    layer.rows = rows;
    layer.paged = bs > 0;
    int64_t layer_blocks = blocks;
    if (layer.paged && rows < context) {
      // A sliding-window layer: the group of its window (rows = window).
      auto it = std::find_if(
          cache->windows_.begin(), cache->windows_.end(),
          [&](const KvWindowGroup& g) { return g.window == rows; });
      if (it == cache->windows_.end()) {
        cache->windows_.push_back(
            {rows, DefaultWindowBlocks(rows, slots, paging)});
        it = cache->windows_.end() - 1;
      }
      layer.group = static_cast<int32_t>(it - cache->windows_.begin()) + 1;
      layer_blocks = it->blocks;
    }
    if (layer.paged) layer.rows = context;
    // A paged layer's planes hold all blocks; a ring's one slot's rows.
    const unsigned __int128 plane =
        layer.paged ? (unsigned __int128)layer_blocks * bs * row_bytes
                    : (unsigned __int128)rows * row_bytes;
    const unsigned __int128 layer_bytes = plane * 2 * (layer.paged ? 1 : slots);
    if (total + layer_bytes > std::numeric_limits<size_t>::max() / 2) {
      return absl::ResourceExhaustedError("KV cache size overflows");
    }
    layer.offset = static_cast<size_t>(total);
    layer.plane_bytes = static_cast<size_t>(plane);
    cache->layers_.push_back(layer);
    total += layer_bytes;
  }
  cache->bytes_ = static_cast<size_t>(total);
  cache->slab_bytes_per_slot_ = static_cast<size_t>(slab_per_slot);
  return cache;
}

absl::StatusOr<size_t> KvCache::PlannedBytes(
    absl::Span<const int32_t> layer_rows, int32_t slots, int32_t context,
    int32_t kv_dim, KvCacheType type, const KvPaging& paging) {
  absl::StatusOr<std::unique_ptr<KvCache>> plan =
      Plan(layer_rows, slots, context, kv_dim, type, paging);
  if (!plan.ok()) return plan.status();
  return (*plan)->bytes_;
}

absl::StatusOr<std::unique_ptr<KvCache>> KvCache::Create(
    absl::Span<const int32_t> layer_rows, int32_t slots, int32_t context,
    int32_t kv_dim, KvCacheType type, const KvPaging& paging) {
  absl::StatusOr<std::unique_ptr<KvCache>> planned =
      Plan(layer_rows, slots, context, kv_dim, type, paging);
  if (!planned.ok()) return planned.status();
  std::unique_ptr<KvCache> cache = std::move(*planned);
  const int32_t bs = paging.block_size;
  if (bs > 0) {
    cache->tables_ =
        std::make_unique<KvBlockTables>(cache->blocks_, bs, slots, context,
                                        cache->prefix_cache_, cache->windows_);
  }
  // Zeroed so that nothing stale is ever read (positions are always written
  // before they are attended to, but this keeps sanitizers quiet).
  void* p = std::calloc(cache->bytes_, 1);
  if (p == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot allocate the KV cache: ", cache->bytes_ / (1 << 20),
        bs > 0 ? " MiB (lower --kv-blocks, --ctx or --parallel)"
               : " MiB (lower --ctx or --parallel)"));
  }
  cache->storage_.reset(static_cast<uint8_t*>(p));
  cache->base_ = cache->storage_.get();
  return cache;
}

void KvCache::CopyBlock(int32_t group, int32_t from, int32_t to) {
  const size_t bytes = size_t(block_size()) * row_bytes();
  for (int32_t l = 0; l < layers(); ++l) {
    if (!layers_[l].paged || layers_[l].group != group) continue;
    std::memcpy(block_key(l, to, 0), block_key(l, from, 0), bytes);
    std::memcpy(block_value(l, to, 0), block_value(l, from, 0), bytes);
  }
}

}  // namespace edgellm::model
