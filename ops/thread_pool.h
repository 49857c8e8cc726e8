// The one thread pool shared by XNNPACK operators and our own kernels.
//
// ARCHITECTURE.md: "one pthreadpool shared by XNNPACK and our kernels, sized
// by the user". A ThreadPool owns one pthreadpool_t; every op in ops/ takes a
// `ThreadPool*` (nullptr = run on the calling thread) and hands `get()` to
// XNNPACK or to ParallelFor below.
//
// Creating the first ThreadPool also calls xnn_initialize() (once per
// process), so XNNPACK operators are usable as soon as a pool exists.
//
// Threading: pthreadpool serializes concurrent parallelize calls, so a pool
// may be shared, but the scratch buffer it owns (Scratch) is for one caller
// thread at a time: give each session that computes concurrently its own
// pool, or pass explicit scratch to the ops.
#ifndef EDGELLM_OPS_THREAD_POOL_H_
#define EDGELLM_OPS_THREAD_POOL_H_

#include <pthreadpool.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"

namespace edgellm::ops {

class ThreadPool {
 public:
  // `num_threads` = 0 means one thread per core (pthreadpool's default). The
  // calling thread takes part in the work, so 1 means "no extra threads".
  static absl::StatusOr<std::unique_ptr<ThreadPool>> Create(size_t num_threads);

  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // The underlying pool, for XNNPACK setup/run calls. Owned by this object.
  pthreadpool_t get() const { return pool_; }
  size_t num_threads() const;

  // A byte buffer of at least `bytes`, 64-byte aligned, owned by the pool and
  // reused across calls: it only grows, so a steady-state decode loop does not
  // allocate. Returns nullptr if the allocation fails. Invalidated by the next
  // call with a larger size. One caller thread at a time.
  void* Scratch(size_t bytes);

 private:
  explicit ThreadPool(pthreadpool_t pool) : pool_(pool) {}

  pthreadpool_t pool_;
  struct AlignedFree {
    void operator()(void* p) const;
  };
  std::unique_ptr<void, AlignedFree> scratch_;
  size_t scratch_bytes_ = 0;
};

// The pool of `pool` or nullptr (serial on the calling thread).
inline pthreadpool_t PoolOf(const ThreadPool* pool) {
  return pool != nullptr ? pool->get() : nullptr;
}

// Calls fn(begin, end) for consecutive ranges of at most `tile` items that
// cover [0, range), in parallel on `pool` (serially when pool is nullptr).
// `fn` must be safe to call concurrently on disjoint ranges.
template <typename Fn>
void ParallelFor(ThreadPool* pool, size_t range, size_t tile, const Fn& fn) {
  if (range == 0) return;
  if (tile == 0) tile = 1;
  struct Context {
    const Fn* fn;
    size_t range;
  } context{&fn, range};
  pthreadpool_parallelize_1d_tile_1d(
      PoolOf(pool),
      [](void* ctx, size_t start, size_t count) {
        const auto* c = static_cast<const Context*>(ctx);
        (*c->fn)(start, start + count);
      },
      &context, range, tile, /*flags=*/0);
}

// A tile size that gives each thread a few tiles of work (load balance) but
// never less than `min_tile` items per tile (amortizes the call).
size_t BalancedTile(const ThreadPool* pool, size_t range, size_t min_tile);

}  // namespace edgellm::ops

#endif  // EDGELLM_OPS_THREAD_POOL_H_
