#include "runtime/model/kv_block_pool.h"

namespace edgellm::model {

KvBlockPool::KvBlockPool(int32_t blocks)
    : refs_(blocks, 0),
      hash_(blocks, 0),
      has_hash_(blocks, false),
      stale_(blocks, false),
      prev_(blocks, -1),
      next_(blocks, -1) {
  // Every block can hold a hash at once: no rehash (allocation) later.
  by_hash_.reserve(blocks);
  for (int32_t b = 0; b < blocks; ++b) PushBack(0, b);
  free_ = blocks;
}

void KvBlockPool::PushBack(int list, int32_t block) {
  prev_[block] = tail_[list];
  next_[block] = -1;
  if (tail_[list] >= 0) {
    next_[tail_[list]] = block;
  } else {
    head_[list] = block;
  }
  tail_[list] = block;
}

void KvBlockPool::Remove(int list, int32_t block) {
  if (prev_[block] >= 0) {
    next_[prev_[block]] = next_[block];
  } else {
    head_[list] = next_[block];
  }
  if (next_[block] >= 0) {
    prev_[next_[block]] = prev_[block];
  } else {
    tail_[list] = prev_[block];
  }
  prev_[block] = next_[block] = -1;
}

int32_t KvBlockPool::Allocate(bool from_reservation) {
  if (from_reservation ? reserved_ <= 0 : available() <= 0) return -1;
  int32_t block = head_[0];
  if (block >= 0) {
    Remove(0, block);
  } else {
    // The least recently freed cached block, stale ones first.
    const int list = head_[2] >= 0 ? 2 : 1;
    block = head_[list];
    if (block < 0) return -1;
    Remove(list, block);
    by_hash_.erase(hash_[block]);
    has_hash_[block] = false;
  }
  refs_[block] = 1;
  --free_;
  if (from_reservation) --reserved_;
  return block;
}

void KvBlockPool::Ref(int32_t block) {
  if (refs_[block]++ == 0) {
    Remove(ListOf(block), block);
    --free_;
  }
}

bool KvBlockPool::Unref(int32_t block, bool stale) {
  if (--refs_[block] > 0) return false;
  stale_[block] = stale;
  PushBack(ListOf(block), block);
  ++free_;
  return true;
}

int32_t KvBlockPool::Find(uint64_t hash) const {
  const auto it = by_hash_.find(hash);
  return it == by_hash_.end() ? -1 : it->second;
}

bool KvBlockPool::Publish(int32_t block, uint64_t hash) {
  if (has_hash_[block] || by_hash_.contains(hash)) return false;
  by_hash_.emplace(hash, block);
  hash_[block] = hash;
  has_hash_[block] = true;
  return true;
}

void KvBlockPool::Unpublish(int32_t block) {
  if (!has_hash_[block]) return;
  // A free block moves from its cached list to the uncached one.
  if (refs_[block] == 0) Remove(ListOf(block), block);
  by_hash_.erase(hash_[block]);
  has_hash_[block] = false;
  if (refs_[block] == 0) PushBack(0, block);
}

}  // namespace edgellm::model
