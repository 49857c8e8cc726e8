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
//   EndSequence    gives the blocks back (published ones stay cached until
//                  the pool needs them, least recently freed first).
// A slot that was never started (a direct Transformer user) allocates as it
// writes and publishes nothing.
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

class KvBlockTables {
 public:
  // `prefix_cache` false: nothing is ever published or reused.
  KvBlockTables(int32_t blocks, int32_t block_size, int32_t slots,
                int32_t context, bool prefix_cache);

  int32_t block_size() const { return block_size_; }
  bool prefix_cache() const { return prefix_cache_; }
  const KvBlockPool& pool() const { return pool_; }
  // The table of `slot`: entry i holds positions i * block_size.. (-1: no
  // block yet).
  const int32_t* table(int32_t slot) const { return tables_[slot].data(); }
  int32_t blocks_held(int32_t slot) const;

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
  // `slot` private blocks, calling copy(from, to) for each copy on write
  // (the caller copies the block's memory), and records the tokens.
  // RESOURCE_EXHAUSTED naming the pool when no block is free.
  absl::Status PrepareWrite(int32_t slot, int32_t pos0,
                            absl::Span<const int32_t> tokens,
                            absl::FunctionRef<void(int32_t, int32_t)> copy);
  // Publishes the blocks of `slot` that positions up to `end` completed.
  void CommitWrite(int32_t slot, int32_t end);

 private:
  struct Slot {
    bool publish = false;          // started with use_cache
    int32_t reserved = 0;          // pool blocks promised, not yet taken
    int32_t hashed = 0;            // leading entries whose chain hash is known
    std::vector<int32_t> tokens;   // the token at each written position
    std::vector<uint64_t> hashes;  // chain hash of each full entry
  };
  uint64_t ChainHash(uint64_t parent, const int32_t* tokens) const;
  // The published block of `hash` whose tokens and parent are these, or -1.
  int32_t FindBlock(uint64_t hash, uint64_t parent,
                    const int32_t* tokens) const;
  int32_t AllocateFor(Slot& s);
  absl::Status NoBlock(int32_t slot, int32_t pos) const;

  const int32_t block_size_;
  const int32_t context_;
  const bool prefix_cache_;
  KvBlockPool pool_;
  std::vector<std::vector<int32_t>> tables_;
  std::vector<Slot> slots_;
  // What each published block holds: its tokens and its parent's hash.
  std::vector<int32_t> block_tokens_;
  std::vector<uint64_t> block_parent_;
};

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_KV_BLOCK_TABLES_H_
