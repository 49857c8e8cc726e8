#include "runtime/model/kv_cache.h"

#include <cstdlib>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgellm::model {

void KvCache::Free::operator()(uint8_t* p) const { std::free(p); }

absl::StatusOr<std::unique_ptr<KvCache>> KvCache::Create(
    int32_t layers, int32_t slots, int32_t context, int32_t kv_dim,
    KvCacheType type) {
  if (layers <= 0 || slots <= 0 || context <= 0 || kv_dim <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV cache dimensions must be positive: layers=", layers,
                     " slots=", slots, " context=", context, " kv_dim=", kv_dim));
  }
  std::unique_ptr<KvCache> cache(new KvCache());
  cache->layers_ = layers;
  cache->slots_ = slots;
  cache->context_ = context;
  cache->kv_dim_ = kv_dim;
  cache->type_ = type;
  // All factors are < 2^31, so the products below fit in 64 bits as long as
  // the total is checked against a sane ceiling step by step.
  const unsigned __int128 plane =
      (unsigned __int128)context * kv_dim * cache->element_bytes();
  const unsigned __int128 total = plane * 2 * layers * slots;
  if (total > std::numeric_limits<size_t>::max() / 2) {
    return absl::ResourceExhaustedError("KV cache size overflows");
  }
  cache->plane_bytes_ = static_cast<size_t>(plane);
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
