// The bookkeeping of the paged KV cache's blocks (runtime/model/kv_cache.h
// holds their memory): which blocks are in use and by how many block
// tables, which free ones still hold a cached prefix block (findable by its
// hash until the pool needs the block: least recently freed first), and how
// many free blocks are promised to admitted sequences.
//
//   free()      blocks no table holds (cached or not);
//   reserved()  free blocks promised to slots (Reserve), not yet taken;
//   available() free() - reserved(): what an unreserved caller may take.
// Invariant: free() >= reserved(), so a reservation is always honoured.
//
// Allocation takes an uncached free block first, else evicts the least
// recently freed cached one (its hash is forgotten): among those, the ones
// freed as `stale` (Unref) go first. Nothing here allocates memory after
// construction.
//
// Not thread-safe; owned by one KvCache.
#ifndef EDGELLM_RUNTIME_MODEL_KV_BLOCK_POOL_H_
#define EDGELLM_RUNTIME_MODEL_KV_BLOCK_POOL_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace edgellm::model {

class KvBlockPool {
 public:
  explicit KvBlockPool(int32_t blocks);

  int32_t size() const { return static_cast<int32_t>(refs_.size()); }
  int32_t free() const { return free_; }
  int32_t reserved() const { return reserved_; }
  int32_t available() const { return free_ - reserved_; }
  // Blocks with a published hash (in use or free).
  int32_t cached() const { return static_cast<int32_t>(by_hash_.size()); }
  int32_t refs(int32_t block) const { return refs_[block]; }

  // A block with one holder and no hash, or -1 when none may be taken:
  // from a reservation (one less reserved), else only while available() > 0.
  int32_t Allocate(bool from_reservation);
  // Promises n more free blocks (the caller checked available() >= n);
  // Unreserve gives back what was not taken.
  void Reserve(int32_t n) { reserved_ += n; }
  void Unreserve(int32_t n) { reserved_ -= n; }

  // One more holder of a held block, or of a free cached one (which leaves
  // the free list: the caller checked available() > 0 for that).
  void Ref(int32_t block);
  // One holder less; at none the block is free (and, if published, stays
  // findable until evicted). Returns whether it became free. `stale`: the
  // holder does not expect it to be asked for again soon (a sliding
  // window's block that its sequence has passed); a cached block freed
  // stale is evicted before every cached block freed otherwise.
  bool Unref(int32_t block, bool stale = false);

  // The block published under `hash`, or -1.
  int32_t Find(uint64_t hash) const;
  // Publishes a held block's contents under `hash`; false (nothing done)
  // when another block already has it or this one has a hash.
  bool Publish(int32_t block, uint64_t hash);
  // Forgets a block's hash (its contents are about to change).
  void Unpublish(int32_t block);
  bool published(int32_t block) const { return has_hash_[block]; }

 private:
  // The free lists are intrusive doubly linked lists over block ids:
  // list 0 uncached, list 1 cached, list 2 cached and freed stale (each
  // oldest first); allocation takes from 0, then 2, then 1.
  void PushBack(int list, int32_t block);
  void Remove(int list, int32_t block);
  int ListOf(int32_t block) const {
    return !has_hash_[block] ? 0 : stale_[block] ? 2 : 1;
  }

  std::vector<int32_t> refs_;
  std::vector<uint64_t> hash_;
  std::vector<bool> has_hash_;
  std::vector<bool> stale_;  // of a free block: freed stale
  std::vector<int32_t> prev_, next_;
  int32_t head_[3] = {-1, -1, -1}, tail_[3] = {-1, -1, -1};
  int32_t free_ = 0, reserved_ = 0;
  absl::flat_hash_map<uint64_t, int32_t> by_hash_;
};

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_KV_BLOCK_POOL_H_
