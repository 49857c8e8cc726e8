// The paged KV cache's block tables: for every sequence slot, which pool
// block (KvBlockPool) holds each run of `block_size` positions, plus the
// token ids written there so full blocks can be shared between sequences
// (automatic prefix caching).
//
// A full block is known by a chain hash of its tokens and the hash of the
// block before it, so equal hashes mean equal whole prefixes; a lookup also
// compares the stored tokens and parent hash, so a hash collision is a miss,
// never wrong keys.
//
// Life of a sequence on a slot:
//   StartSequence  reuses the longest cached prefix of the prompt (shared
//                  blocks, read-only) and reserves the blocks the rest of
//                  the sequence can need, or says the pool cannot take it
//                  now (UNAVAILABLE: wait) or ever (RESOURCE_EXHAUSTED).
//   PrepareWrite   before a forward pass writes positions pos0..: gives each
//                  touched table entry a private block (a fresh one, or a
//                  copy of a shared / published one: copy on write).
//   CommitWrite    after the pass: publishes the blocks it completed.
//   EndSequence    gives the blocks back, the last first (published ones
//                  stay cached until the pool needs them, least recently
//                  freed first: a chain loses its end before its start).
// A slot that was never started (a direct Transformer user) allocates as it
// writes and publishes nothing.
//
// Sliding-window layers (window W) are a group of their own, with their own
// pool and tables (group 1.., one per distinct window; group 0 is the
// full-context layers). A query at position p reads only positions
// p - W + 1 .. p, so after each pass a windowed group gives back every block
// wholly before the next query's window (CommitWrite): a slot holds at most
// WindowPeakBlocks(W, ..) blocks there, whatever the context, and the pool is
// sized for every slot's peak, so it never waits for blocks (no
// reservations). Blocks given back are published like any other full block
// and stay cached (least recently freed first) in their group's pool; those
// a running sequence slides past are given back stale (evicted first,
// KvBlockPool::Unref) unless they hold the window before the end of its
// prompt's full blocks or of the prefix it reused, the windows a later
// prompt sharing that prefix needs. So a cold sequence sliding through the
// pool recycles its own trail, not the last window of a prefix cached
// before it (the pool has room for both: KvCache::DefaultWindowBlocks).
//
// Reusing a prefix then needs, from each windowed group, only the blocks of
// the last W - 1 positions before the first position that is computed (the
// window of the first new query); earlier ones may be gone. StartSequence
// takes the longest prefix whose blocks group 0 has AND whose last window
// every windowed group still holds (the keep-and-identify choice: the
// window's blocks are found by the same chain hashes). The alternative,
// recomputing the window, would run W - 1 tokens through every layer again
// on each hit (511 for Gemma 3); keeping blocks costs only memory the pool
// already bounds.
//
// Not thread-safe; owned by one KvCache.
#ifndef EDGELLM_RUNTIME_MODEL_KV_BLOCK_TABLES_H_
#define EDGELLM_RUNTIME_MODEL_KV_BLOCK_TABLES_H_

#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/model/kv_block_pool.h"

namespace edgellm::model {

// A group of sliding-window layers: their window and their pool's size.
struct KvWindowGroup {
  int32_t window = 0;
  int32_t blocks = 0;
};

class KvBlockTables {
 public:
  // `prefix_cache` false: nothing is ever published or reused. `blocks`:
  // group 0's pool; `windows`: the windowed groups 1.. (window < context).
  KvBlockTables(int32_t blocks, int32_t block_size, int32_t slots,
                int32_t context, bool prefix_cache,
                absl::Span<const KvWindowGroup> windows = {});

  // The most blocks one slot holds in a group of window `window` when a
  // pass writes at most `max_write` positions: its window before the pass,
  // the pass's rows, a block cut at each end, and one taken for a copy on
  // write before the old one goes back.
  static int32_t WindowPeakBlocks(int32_t window, int32_t block_size,
                                  int32_t max_write);

  int32_t block_size() const { return block_size_; }
  bool prefix_cache() const { return prefix_cache_; }
  int32_t groups() const { return static_cast<int32_t>(groups_.size()); }
  // 0 for group 0 (the full context).
  int32_t window(int32_t group) const { return groups_[group].window; }
  const KvBlockPool& pool(int32_t group = 0) const {
    return groups_[group].pool;
  }
  // The table of `slot` in `group`: entry i holds positions i *
  // block_size.. (-1: no block, or, in a windowed group, one given back).
  const int32_t* table(int32_t slot, int32_t group = 0) const {
    return groups_[group].tables[slot].data();
  }
  int32_t blocks_held(int32_t slot, int32_t group = 0) const;

  // Blocks a sequence of `positions` positions needs with nothing cached.
  int32_t BlocksFor(int32_t positions) const {
    return (positions + block_size_ - 1) / block_size_;
  }

  // Ends whatever ran on `slot`, then starts a sequence whose prompt is
  // `prompt` and which writes at most `positions` positions (prompt and
  // generated tokens). With `use_cache`, reuses cached blocks of the
  // prompt's longest cached prefix and publishes its own full blocks.
  // Returns how many prompt tokens are cached (they need no forward pass;
  // always fewer than the prompt, which needs its last token's logits).
  // RESOURCE_EXHAUSTED when the pool could never hold `positions`;
  // UNAVAILABLE (nothing changed) when it cannot now.
  absl::StatusOr<int32_t> StartSequence(int32_t slot,
                                        absl::Span<const int32_t> prompt,
                                        int32_t positions, bool use_cache);
  void EndSequence(int32_t slot);

  // Makes the entries of positions pos0 .. pos0 + tokens.size() - 1 of
  // `slot` private blocks in every group, calling copy(group, from, to) for
  // each copy on write (the caller copies the block's memory), and records
  // the tokens. A windowed group first gives back what lies after the
  // write (stale: a rewrite from an earlier position) and checks it holds
  // the window before pos0. RESOURCE_EXHAUSTED naming the pool when no
  // block is free; FAILED_PRECONDITION when a window's blocks were given
  // back (a write before where the slot's last pass ended).
  absl::Status PrepareWrite(
      int32_t slot, int32_t pos0, absl::Span<const int32_t> tokens,
      absl::FunctionRef<void(int32_t, int32_t, int32_t)> copy);
  // Publishes the blocks of `slot` that positions up to `end` completed,
  // then gives back the windowed groups' blocks wholly before the window
  // of a query at `end`.
  void CommitWrite(int32_t slot, int32_t end);

 private:
  struct Slot {
    bool publish = false;  // started with use_cache
    int32_t reserved = 0;  // group 0 blocks promised, not yet taken
    int32_t hashed = 0;    // leading entries whose chain hash is known
    // Where the reused prefix and the prompt's full blocks end: a later
    // prompt sharing either needs the window before it.
    int32_t keep_ends[2] = {0, 0};
    std::vector<int32_t> tokens;   // the token at each written position
    std::vector<uint64_t> hashes;  // chain hash of each full entry
  };
  struct Group {
    Group(int32_t window, int32_t blocks, int32_t block_size, int32_t slots,
          int32_t entries);
    int32_t window;  // 0: the full context
    KvBlockPool pool;
    std::vector<std::vector<int32_t>> tables;  // per slot
    // What each published block holds: its tokens and its parent's hash.
    std::vector<int32_t> block_tokens;
    std::vector<uint64_t> block_parent;
  };
  uint64_t ChainHash(uint64_t parent, const int32_t* tokens) const;
  // The published block of `hash` in `g` whose tokens and parent are
  // these, or -1.
  int32_t FindBlock(const Group& g, uint64_t hash, uint64_t parent,
                    const int32_t* tokens) const;
  // The first position a query at `pos` reads in `g`.
  static int32_t WindowStart(const Group& g, int32_t pos);
  // Whether every windowed group holds published blocks for the window of
  // a first computed position `cached` of `prompt`, whose first entries'
  // chain hashes are `hashes`; fills `found` (per group, per entry) when
  // so.
  bool WindowsCached(absl::Span<const int32_t> prompt,
                     absl::Span<const uint64_t> hashes, int32_t cached,
                     std::vector<std::vector<int32_t>>* found) const;
  // Whether entry `entry` of windowed group `g` holds part of a window
  // worth keeping for later prompts: the one before one of s.keep_ends.
  bool InKeptWindow(const Group& g, const Slot& s, int32_t entry) const;
  int32_t AllocateFor(int32_t group, Slot& s);
  void Release(Group& g, int32_t slot, int32_t entry, bool stale = false);
  absl::Status PrepareGroup(
      int32_t group, int32_t slot, int32_t pos0, int32_t end,
      absl::FunctionRef<void(int32_t, int32_t, int32_t)> copy);
  absl::Status NoBlock(int32_t group, int32_t slot, int32_t pos) const;

  const int32_t block_size_;
  const int32_t context_;
  const bool prefix_cache_;
  std::vector<Group> groups_;  // 0: full context, then the windows
  std::vector<Slot> slots_;
};

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_KV_BLOCK_TABLES_H_
