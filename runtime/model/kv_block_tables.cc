#include "runtime/model/kv_block_tables.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace edgellm::model {

namespace {

// splitmix64's finalizer: every input bit moves every output bit.
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The parent of the first block.
constexpr uint64_t kRootHash = 0x6b76626c6f636b73ull;

}  // namespace

KvBlockTables::KvBlockTables(int32_t blocks, int32_t block_size, int32_t slots,
                             int32_t context, bool prefix_cache)
    : block_size_(block_size),
      context_(context),
      prefix_cache_(prefix_cache),
      pool_(blocks),
      tables_(slots, std::vector<int32_t>(
                         (context + block_size - 1) / block_size, -1)),
      slots_(slots),
      block_tokens_(size_t(blocks) * block_size, 0),
      block_parent_(blocks, 0) {
  for (Slot& s : slots_) {
    s.tokens.assign(context, 0);
    s.hashes.assign(tables_[0].size(), 0);
  }
}

int32_t KvBlockTables::blocks_held(int32_t slot) const {
  return static_cast<int32_t>(std::count_if(tables_[slot].begin(),
                                            tables_[slot].end(),
                                            [](int32_t b) { return b >= 0; }));
}

uint64_t KvBlockTables::ChainHash(uint64_t parent,
                                  const int32_t* tokens) const {
  uint64_t h = Mix(parent ^ 0x9e3779b97f4a7c15ull);
  for (int32_t i = 0; i < block_size_; ++i) {
    h = Mix(h ^ static_cast<uint32_t>(tokens[i]));
  }
  return h;
}

int32_t KvBlockTables::FindBlock(uint64_t hash, uint64_t parent,
                                 const int32_t* tokens) const {
  const int32_t b = pool_.Find(hash);
  if (b < 0 || block_parent_[b] != parent) return -1;
  const int32_t* held = block_tokens_.data() + size_t(b) * block_size_;
  return std::memcmp(held, tokens, block_size_ * sizeof(int32_t)) == 0 ? b : -1;
}

int32_t KvBlockTables::AllocateFor(Slot& s) {
  if (s.reserved > 0) {
    const int32_t b = pool_.Allocate(/*from_reservation=*/true);
    if (b >= 0) --s.reserved;
    return b;
  }
  return pool_.Allocate(/*from_reservation=*/false);
}

absl::Status KvBlockTables::NoBlock(int32_t slot, int32_t pos) const {
  return absl::ResourceExhaustedError(
      absl::StrCat("KV cache: no free block for position ", pos, " of slot ",
                   slot, ": all ", pool_.size(), " blocks of ", block_size_,
                   " positions are held or promised (raise --kv-blocks)"));
}

absl::StatusOr<int32_t> KvBlockTables::StartSequence(
    int32_t slot, absl::Span<const int32_t> prompt, int32_t positions,
    bool use_cache) {
  EndSequence(slot);
  const int32_t prompt_len = static_cast<int32_t>(prompt.size());
  positions = std::clamp(std::max(positions, prompt_len), 1, context_);
  const int32_t total = BlocksFor(positions);
  if (total > pool_.size()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "KV cache: a sequence of ", positions, " positions needs ", total,
        " blocks of ", block_size_, " positions; the pool has ", pool_.size(),
        " (raise --kv-blocks or lower max_tokens)"));
  }
  Slot& s = slots_[slot];
  std::vector<int32_t>& table = tables_[slot];
  const bool cache = use_cache && prefix_cache_;
  int32_t attached = 0, free_refs = 0;
  uint64_t parent = kRootHash;
  for (int32_t i = 0; cache && i < prompt_len / block_size_; ++i) {
    const int32_t* tokens = prompt.data() + size_t(i) * block_size_;
    const uint64_t h = ChainHash(parent, tokens);
    const int32_t b = FindBlock(h, parent, tokens);
    if (b < 0) break;
    table[i] = b;
    s.hashes[i] = h;
    parent = h;
    ++attached;
    if (pool_.refs(b) == 0) ++free_refs;
  }
  // The prompt's last token always runs (its logits start the generation);
  // when it lies in a shared block, that block is copied on write.
  const int32_t cached =
      std::max(0, std::min(attached * block_size_, prompt_len - 1));
  const int32_t fresh =
      total - attached + (attached * block_size_ > cached ? 1 : 0);
  if (pool_.available() < fresh + free_refs) {
    std::fill(table.begin(), table.begin() + attached, -1);
    return absl::UnavailableError(
        absl::StrCat("KV cache: ", fresh + free_refs, " blocks needed, ",
                     pool_.available(), " available"));
  }
  for (int32_t i = 0; i < attached; ++i) pool_.Ref(table[i]);
  pool_.Reserve(fresh);
  s.reserved = fresh;
  s.publish = cache;
  s.hashed = attached;
  std::copy(prompt.begin(), prompt.begin() + attached * block_size_,
            s.tokens.begin());
  return cached;
}

void KvBlockTables::EndSequence(int32_t slot) {
  Slot& s = slots_[slot];
  for (int32_t& b : tables_[slot]) {
    if (b >= 0) pool_.Unref(b);
    b = -1;
  }
  pool_.Unreserve(s.reserved);
  s.reserved = 0;
  s.publish = false;
  s.hashed = 0;
}

absl::Status KvBlockTables::PrepareWrite(
    int32_t slot, int32_t pos0, absl::Span<const int32_t> tokens,
    absl::FunctionRef<void(int32_t, int32_t)> copy) {
  if (tokens.empty()) return absl::OkStatus();
  Slot& s = slots_[slot];
  std::vector<int32_t>& table = tables_[slot];
  const int32_t end = pos0 + static_cast<int32_t>(tokens.size());
  // Rewritten positions make the chain hashes from pos0's block on stale.
  s.hashed = std::min(s.hashed, pos0 / block_size_);
  for (int32_t i = pos0 / block_size_; i <= (end - 1) / block_size_; ++i) {
    int32_t& b = table[i];
    if (b < 0) {
      b = AllocateFor(s);
      if (b < 0) return NoBlock(slot, std::max(pos0, i * block_size_));
      continue;
    }
    if (pool_.refs(b) == 1 && !pool_.published(b)) continue;
    // Shared, or cached for others: write a private copy.
    const int32_t fresh = AllocateFor(s);
    if (fresh < 0) {
      if (pool_.refs(b) > 1)
        return NoBlock(slot, std::max(pos0, i * block_size_));
      pool_.Unpublish(b);  // ours alone: it stops being a cached prefix
      continue;
    }
    // Only rows before pos0 are read before they are written.
    if (i * block_size_ < pos0) copy(b, fresh);
    pool_.Unref(b);
    b = fresh;
  }
  std::copy(tokens.begin(), tokens.end(), s.tokens.begin() + pos0);
  return absl::OkStatus();
}

void KvBlockTables::CommitWrite(int32_t slot, int32_t end) {
  Slot& s = slots_[slot];
  if (!s.publish) return;
  const std::vector<int32_t>& table = tables_[slot];
  for (; s.hashed < end / block_size_; ++s.hashed) {
    const int32_t i = s.hashed;
    const uint64_t parent = i == 0 ? kRootHash : s.hashes[i - 1];
    const int32_t* tokens = s.tokens.data() + size_t(i) * block_size_;
    const uint64_t h = ChainHash(parent, tokens);
    s.hashes[i] = h;
    const int32_t b = table[i];
    if (b < 0 || pool_.published(b) || !pool_.Publish(b, h)) continue;
    std::memcpy(block_tokens_.data() + size_t(b) * block_size_, tokens,
                block_size_ * sizeof(int32_t));
    block_parent_[b] = parent;
  }
}

}  // namespace edgellm::model
