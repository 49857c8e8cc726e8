#include "runtime/model/kv_cache.h"

#include <cstdlib>
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

absl::StatusOr<std::unique_ptr<KvCache>> KvCache::Create(
    absl::Span<const int32_t> layer_rows, int32_t slots, int32_t context,
    int32_t kv_dim, KvCacheType type) {
  if (layer_rows.empty() || slots <= 0 || context <= 0 || kv_dim <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KV cache dimensions must be positive: layers=", layer_rows.size(),
        " slots=", slots, " context=", context, " kv_dim=", kv_dim));
  }
  std::unique_ptr<KvCache> cache(new KvCache());
  cache->slots_ = slots;
  cache->context_ = context;
  cache->kv_dim_ = kv_dim;
  cache->type_ = type;
  // All factors are < 2^31, so the products below fit in 128 bits; the
  // total is checked against a sane ceiling.
  unsigned __int128 total = 0;
  for (size_t l = 0; l < layer_rows.size(); ++l) {
    const int32_t rows = layer_rows[l];
    if (rows <= 0 || rows > context) {
      return absl::InvalidArgumentError(
          absl::StrCat("KV cache layer ", l, ": ", rows,
                       " rows, must be in 1..", context, " (the context)"));
    }
    const unsigned __int128 plane =
        (unsigned __int128)rows * kv_dim * cache->element_bytes();
    if (total + plane * 2 * slots > std::numeric_limits<size_t>::max() / 2) {
      return absl::ResourceExhaustedError("KV cache size overflows");
    }
    cache->layers_.push_back(
        {rows, static_cast<size_t>(total), static_cast<size_t>(plane)});
    total += plane * 2 * slots;
  }
  cache->bytes_ = static_cast<size_t>(total);
  // Zeroed so that nothing stale is ever read (positions are always written
  // before they are attended to, but this keeps sanitizers quiet).
  void* p = std::calloc(cache->bytes_, 1);
  if (p == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot allocate the KV cache: ", cache->bytes_ / (1 << 20),
        " MiB (lower --ctx or --parallel)"));
  }
  cache->storage_.reset(static_cast<uint8_t*>(p));
  cache->base_ = cache->storage_.get();
  return cache;
}

}  // namespace edgellm::model
