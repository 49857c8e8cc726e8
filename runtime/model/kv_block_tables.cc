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

KvBlockTables::Group::Group(int32_t window, int32_t blocks, int32_t block_size,
                            int32_t slots, int32_t entries)
    : window(window),
      pool(blocks),
      tables(slots, std::vector<int32_t>(entries, -1)),
      block_tokens(size_t(blocks) * block_size, 0),
      block_parent(blocks, 0) {}

KvBlockTables::KvBlockTables(int32_t blocks, int32_t block_size, int32_t slots,
                             int32_t context, bool prefix_cache,
                             absl::Span<const KvWindowGroup> windows)
    : block_size_(block_size),
      context_(context),
      prefix_cache_(prefix_cache),
      slots_(slots) {
  const int32_t entries = (context + block_size - 1) / block_size;
  groups_.reserve(1 + windows.size());
  groups_.emplace_back(0, blocks, block_size, slots, entries);
  for (const KvWindowGroup& w : windows) {
    groups_.emplace_back(w.window, w.blocks, block_size, slots, entries);
  }
  for (Slot& s : slots_) {
    s.tokens.assign(context, 0);
    s.hashes.assign(entries, 0);
  }
}

int32_t KvBlockTables::WindowPeakBlocks(int32_t window, int32_t block_size,
                                        int32_t max_write) {
  // Positions p - window + 1 .. p + max_write - 1 for a pass from p: at
  // most ceil(span / block_size) + 1 blocks (the span cut at both ends),
  // plus one held for a moment by a copy on write.
  const int64_t span = int64_t{window} - 1 + std::max(max_write, 1);
  return static_cast<int32_t>((span + block_size - 1) / block_size + 2);
}

int32_t KvBlockTables::blocks_held(int32_t slot, int32_t group) const {
  const std::vector<int32_t>& t = groups_[group].tables[slot];
  return static_cast<int32_t>(
      std::count_if(t.begin(), t.end(), [](int32_t b) { return b >= 0; }));
}

uint64_t KvBlockTables::ChainHash(uint64_t parent,
                                  const int32_t* tokens) const {
  uint64_t h = Mix(parent ^ 0x9e3779b97f4a7c15ull);
  for (int32_t i = 0; i < block_size_; ++i) {
    h = Mix(h ^ static_cast<uint32_t>(tokens[i]));
  }
  return h;
}

int32_t KvBlockTables::FindBlock(const Group& g, uint64_t hash, uint64_t parent,
                                 const int32_t* tokens) const {
  const int32_t b = g.pool.Find(hash);
  if (b < 0 || g.block_parent[b] != parent) return -1;
  const int32_t* held = g.block_tokens.data() + size_t(b) * block_size_;
  return std::memcmp(held, tokens, block_size_ * sizeof(int32_t)) == 0 ? b : -1;
}

int32_t KvBlockTables::WindowStart(const Group& g, int32_t pos) {
  return g.window == 0 ? 0 : std::max(0, pos - g.window + 1);
}

bool KvBlockTables::WindowsCached(
    absl::Span<const int32_t> prompt, absl::Span<const uint64_t> hashes,
    int32_t cached, std::vector<std::vector<int32_t>>* found) const {
  found->assign(groups_.size(), {});
  if (cached == 0) return true;
  for (size_t gi = 1; gi < groups_.size(); ++gi) {
    const Group& g = groups_[gi];
    // The rows the query at `cached` reads before its own: entries
    // first .. last, the last one copied on write when `cached` lies in it.
    const int32_t first = WindowStart(g, cached) / block_size_;
    const int32_t last = (cached - 1) / block_size_;
    std::vector<int32_t>& blocks = (*found)[gi];
    blocks.assign(last + 1, -1);
    for (int32_t i = first; i <= last; ++i) {
      const uint64_t parent = i == 0 ? kRootHash : hashes[i - 1];
      blocks[i] = FindBlock(g, hashes[i], parent,
                            prompt.data() + size_t(i) * block_size_);
      if (blocks[i] < 0) return false;
    }
  }
  return true;
}

bool KvBlockTables::InKeptWindow(const Group& g, const Slot& s,
                                 int32_t entry) const {
  // The window of a first new token at `end` or, when the whole prompt is
  // cached, at end - 1 (its last token runs again).
  for (const int32_t end : s.keep_ends) {
    if (end > 0 && entry >= WindowStart(g, end - 1) / block_size_ &&
        entry <= (end - 1) / block_size_) {
      return true;
    }
  }
  return false;
}

int32_t KvBlockTables::AllocateFor(int32_t group, Slot& s) {
  KvBlockPool& pool = groups_[group].pool;
  if (group == 0 && s.reserved > 0) {
    const int32_t b = pool.Allocate(/*from_reservation=*/true);
    if (b >= 0) --s.reserved;
    return b;
  }
  return pool.Allocate(/*from_reservation=*/false);
}

void KvBlockTables::Release(Group& g, int32_t slot, int32_t entry, bool stale) {
  int32_t& b = g.tables[slot][entry];
  if (b >= 0) g.pool.Unref(b, stale);
  b = -1;
}

absl::Status KvBlockTables::NoBlock(int32_t group, int32_t slot,
                                    int32_t pos) const {
  const Group& g = groups_[group];
  return absl::ResourceExhaustedError(absl::StrCat(
      "KV cache: no free block for position ", pos, " of slot ", slot,
      g.window > 0 ? absl::StrCat(" in the window-", g.window, " layers' pool")
                   : std::string(),
      ": all ", g.pool.size(), " blocks of ", block_size_,
      " positions are held or promised",
      g.window > 0 ? " (a forward pass wrote more than the pool was sized for)"
                   : " (raise --kv-blocks)"));
}

absl::StatusOr<int32_t> KvBlockTables::StartSequence(
    int32_t slot, absl::Span<const int32_t> prompt, int32_t positions,
    bool use_cache) {
  EndSequence(slot);
  const int32_t prompt_len = static_cast<int32_t>(prompt.size());
  positions = std::clamp(std::max(positions, prompt_len), 1, context_);
  const int32_t total = BlocksFor(positions);
  KvBlockPool& pool = groups_[0].pool;
  if (total > pool.size()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "KV cache: a sequence of ", positions, " positions needs ", total,
        " blocks of ", block_size_, " positions; the pool has ", pool.size(),
        " (raise --kv-blocks or lower max_tokens)"));
  }
  Slot& s = slots_[slot];
  std::vector<int32_t>& table = groups_[0].tables[slot];
  const bool cache = use_cache && prefix_cache_;
  // Group 0's longest cached chain of the prompt's full blocks.
  int32_t attached = 0;
  uint64_t parent = kRootHash;
  for (int32_t i = 0; cache && i < prompt_len / block_size_; ++i) {
    const int32_t* tokens = prompt.data() + size_t(i) * block_size_;
    const uint64_t h = ChainHash(parent, tokens);
    const int32_t b = FindBlock(groups_[0], h, parent, tokens);
    if (b < 0) break;
    table[i] = b;
    s.hashes[i] = h;
    parent = h;
    ++attached;
  }
  // The prompt's last token always runs (its logits start the generation);
  // when it lies in a shared block, that block is copied on write. The
  // windowed groups must hold the window before the first computed
  // position: shorten the prefix until they do.
  std::vector<std::vector<int32_t>> window_blocks;
  int32_t cached = 0;
  for (; attached > 0; --attached) {
    cached = std::min(attached * block_size_, prompt_len - 1);
    if (WindowsCached(prompt, s.hashes, cached, &window_blocks)) break;
    table[attached - 1] = -1;
  }
  if (attached == 0) cached = 0;
  int32_t free_refs = 0;
  for (int32_t i = 0; i < attached; ++i) {
    if (pool.refs(table[i]) == 0) ++free_refs;
  }
  const int32_t fresh =
      total - attached + (attached * block_size_ > cached ? 1 : 0);
  if (pool.available() < fresh + free_refs) {
    std::fill(table.begin(), table.begin() + attached, -1);
    return absl::UnavailableError(absl::StrCat("KV cache: ", fresh + free_refs,
                                               " blocks needed, ",
                                               pool.available(), " available"));
  }
  for (int32_t i = 0; i < attached; ++i) pool.Ref(table[i]);
  // A windowed pool has room for every slot's window (WindowPeakBlocks),
  // so its blocks are taken without a promise.
  for (size_t gi = 1; attached > 0 && gi < groups_.size(); ++gi) {
    Group& g = groups_[gi];
    const std::vector<int32_t>& blocks = window_blocks[gi];
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (blocks[i] < 0) continue;
      g.pool.Ref(blocks[i]);
      g.tables[slot][i] = blocks[i];
    }
  }
  pool.Reserve(fresh);
  s.reserved = fresh;
  s.publish = cache;
  s.hashed = attached;
  s.keep_ends[0] = cached;
  s.keep_ends[1] = prompt_len / block_size_ * block_size_;
  std::copy(prompt.begin(), prompt.begin() + attached * block_size_,
            s.tokens.begin());
  return cached;
}

void KvBlockTables::EndSequence(int32_t slot) {
  Slot& s = slots_[slot];
  // Last entry first: the pool evicts the least recently freed first, so a
  // cached chain then loses its end before its start, and what remains is
  // still a prefix a later prompt can reuse (its first block gone, none of
  // it could be).
  for (Group& g : groups_) {
    for (int32_t i = static_cast<int32_t>(g.tables[slot].size()) - 1; i >= 0;
         --i) {
      Release(g, slot, i);
    }
  }
  groups_[0].pool.Unreserve(s.reserved);
  s.reserved = 0;
  s.publish = false;
  s.hashed = 0;
  s.keep_ends[0] = s.keep_ends[1] = 0;
}

absl::Status KvBlockTables::PrepareGroup(
    int32_t group, int32_t slot, int32_t pos0, int32_t end,
    absl::FunctionRef<void(int32_t, int32_t, int32_t)> copy) {
  Group& g = groups_[group];
  std::vector<int32_t>& table = g.tables[slot];
  Slot& s = slots_[slot];
  if (g.window > 0) {
    // What lies after the write is stale now (a rewrite from an earlier
    // position, as each text of an embedding does): give it back, so the
    // slot's blocks stay within its window.
    for (int32_t i = (end - 1) / block_size_ + 1;
         i < static_cast<int32_t>(table.size()); ++i) {
      Release(g, slot, i);
    }
    // The window of the first query: cached rows before pos0.
    const int32_t lo = WindowStart(g, pos0);
    if (lo < pos0) {
      for (int32_t i = lo / block_size_; i <= (pos0 - 1) / block_size_; ++i) {
        if (table[i] >= 0) continue;
        return absl::FailedPreconditionError(absl::StrCat(
            "KV cache: slot ", slot, " writes position ", pos0,
            " but no longer holds positions ", lo, "..", pos0 - 1,
            " of its window of ", g.window,
            " (a write may only start where the last one ended, or at 0)"));
      }
    }
  }
  for (int32_t i = pos0 / block_size_; i <= (end - 1) / block_size_; ++i) {
    int32_t& b = table[i];
    if (b < 0) {
      b = AllocateFor(group, s);
      if (b < 0) return NoBlock(group, slot, std::max(pos0, i * block_size_));
      continue;
    }
    if (g.pool.refs(b) == 1 && !g.pool.published(b)) continue;
    // Shared, or cached for others: write a private copy.
    const int32_t fresh = AllocateFor(group, s);
    if (fresh < 0) {
      if (g.pool.refs(b) > 1) {
        return NoBlock(group, slot, std::max(pos0, i * block_size_));
      }
      g.pool.Unpublish(b);  // ours alone: it stops being a cached prefix
      continue;
    }
    // Only rows before pos0 are read before they are written.
    if (i * block_size_ < pos0) copy(group, b, fresh);
    g.pool.Unref(b);
    b = fresh;
  }
  return absl::OkStatus();
}

absl::Status KvBlockTables::PrepareWrite(
    int32_t slot, int32_t pos0, absl::Span<const int32_t> tokens,
    absl::FunctionRef<void(int32_t, int32_t, int32_t)> copy) {
  if (tokens.empty()) return absl::OkStatus();
  Slot& s = slots_[slot];
  const int32_t end = pos0 + static_cast<int32_t>(tokens.size());
  // Rewritten positions make the chain hashes from pos0's block on stale.
  s.hashed = std::min(s.hashed, pos0 / block_size_);
  for (int32_t group = 0; group < groups(); ++group) {
    if (absl::Status st = PrepareGroup(group, slot, pos0, end, copy);
        !st.ok()) {
      return st;
    }
  }
  std::copy(tokens.begin(), tokens.end(), s.tokens.begin() + pos0);
  return absl::OkStatus();
}

void KvBlockTables::CommitWrite(int32_t slot, int32_t end) {
  Slot& s = slots_[slot];
  for (; s.publish && s.hashed < end / block_size_; ++s.hashed) {
    const int32_t i = s.hashed;
    const uint64_t parent = i == 0 ? kRootHash : s.hashes[i - 1];
    const int32_t* tokens = s.tokens.data() + size_t(i) * block_size_;
    const uint64_t h = ChainHash(parent, tokens);
    s.hashes[i] = h;
    for (Group& g : groups_) {
      const int32_t b = g.tables[slot][i];
      if (b < 0 || g.pool.published(b) || !g.pool.Publish(b, h)) continue;
      std::memcpy(g.block_tokens.data() + size_t(b) * block_size_, tokens,
                  block_size_ * sizeof(int32_t));
      g.block_parent[b] = parent;
    }
  }
  // The windowed groups give back what no later query reads (published
  // blocks stay cached in their pool; stale unless a later prompt may need
  // them).
  for (size_t gi = 1; gi < groups_.size(); ++gi) {
    Group& g = groups_[gi];
    for (int32_t i = 0; i < WindowStart(g, end) / block_size_; ++i) {
      Release(g, slot, i, /*stale=*/!InKeptWindow(g, s, i));
    }
  }
}

}  // namespace edgellm::model
