// The one thread pool shared by XNNPACK operators and our own kernels.
//
// One pthreadpool shared by XNNPACK and our kernels, sized by the user, so
// the two never run more threads than asked for. A ThreadPool owns one
// pthreadpool_t; every op in ops/ takes a `ThreadPool*` (nullptr = run on the
// calling thread) and hands `get()` to XNNPACK or to ParallelFor below.
//
// Creating the first ThreadPool also calls xnn_initialize() (once per
// process), so XNNPACK operators are usable as soon as a pool exists.
//
// Our own kernels (ParallelFor) do not go through pthreadpool but through
// Run(), a small work queue on the pool's own workers. Measured reason
// (docs/performance.md): pthreadpool's caller waits until every worker has
// checked in for a call, even a worker the OS has not scheduled yet, so on a
// busy machine (more runnable threads than cores) each of the ~300 parallel
// calls of a decode step could cost a scheduler time slice: 2-thread decode
// ran 3-5x slower than 1 thread. In Run() the caller and the workers claim
// items from one atomic counter; the caller returns when every item is done,
// so a worker that wakes late finds nothing left and no one waits for it.
// Only an item a worker has claimed is waited for: the caller polls briefly,
// then sleeps on a futex until that worker finishes it (a sched_yield loop
// instead gave the core to another process for whole time slices). Idle
// workers poll for 100 us, then sleep. Calls too small to pay for a
// hand-off (PoolForWork, kMinParallelWork) run on the caller alone: with
// both, stories260K decoding with 2 threads while busy loops kept every
// core busy went from ~160x slower than 1 thread to about as fast
// (bench/cpu_contention.py).
// XNNPACK operators that run big single calls (F32/F16 fully connected,
// softmax) use the pthreadpool (get(), created on first use), small calls
// none. After a call its
// workers spin for a while before sleeping, stealing cores from our workers, so
// elementwise ops that run many small calls (SwiGlu) split work with
// ParallelFor and run XNNPACK single-threaded inside each task instead.
//
// Threading: concurrent ParallelFor/Run calls on one pool are serialized (as
// pthreadpool does), so a pool may be shared, but the scratch buffer it owns
// (Scratch) is for one caller thread at a time: give each session that
// computes concurrently its own pool, or pass explicit scratch to the ops.
// Not reentrant: a task must not call ParallelFor on its own pool.
#ifndef EDGELLM_OPS_THREAD_POOL_H_
#define EDGELLM_OPS_THREAD_POOL_H_

#include <pthreadpool.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

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

  // The underlying pool, for XNNPACK setup/run calls. Owned by this object,
  // created on the first call: its workers spin for a while after starting
  // (and after every call), so a model whose ops never reach XNNPACK with a
  // pool never pays for them. nullptr if pthreadpool_create fails (XNNPACK
  // then runs on the calling thread).
  pthreadpool_t get() const;
  size_t num_threads() const { return num_threads_; }

  // A byte buffer of at least `bytes`, 64-byte aligned, owned by the pool and
  // reused across calls: it only grows, so a steady-state decode loop does not
  // allocate. Returns nullptr if the allocation fails. Invalidated by the next
  // call with a larger size. One caller thread at a time.
  void* Scratch(size_t bytes);

  // Calls fn(context, i) for every i in [0, n), on the calling thread and
  // the workers; returns when all calls have returned. n must be at most
  // kMaxRunItems.
  using ItemFn = void (*)(void* context, size_t item);
  static constexpr size_t kMaxRunItems = (size_t{1} << 20) - 1;
  void Run(size_t n, ItemFn fn, void* context);

 private:
  explicit ThreadPool(size_t num_threads);
  void WorkerLoop();
  // Claims and runs items of job `gen` until none are left.
  void Work(uint32_t gen);
  // The caller's wait for the items workers claimed: a short poll, then a
  // futex sleep that the worker finishing an item ends.
  void WaitForItems(uint32_t n);

  size_t num_threads_;
  mutable std::once_flag pthreadpool_once_;
  mutable pthreadpool_t pool_ = nullptr;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one Run at a time
  // The current job: written by Run before it publishes `claim_`, read by
  // workers only after they claimed an item of it (so never while written).
  ItemFn job_fn_ = nullptr;
  void* job_context_ = nullptr;
  // Job generation (24 bits) | item count (20 bits) | next item (20 bits).
  // Carrying the generation and count in the word a worker claims with means
  // a worker that is late by any number of jobs cannot claim in a newer one
  // by mistake.
  std::atomic<uint64_t> claim_{0};
  std::atomic<uint32_t> done_{0};  // items of the current job finished
  std::atomic<bool> caller_sleeping_{false};  // in WaitForItems' futex wait
  std::atomic<uint32_t> gen_{0};              // futex word the workers sleep on
  std::atomic<bool> stop_{false};
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
// `fn` must be safe to call concurrently on disjoint ranges. (A range of
// more than ThreadPool::kMaxRunItems tiles gets proportionally larger
// tiles.)
template <typename Fn>
void ParallelFor(ThreadPool* pool, size_t range, size_t tile, const Fn& fn) {
  if (range == 0) return;
  if (tile == 0) tile = 1;
  size_t tiles = (range + tile - 1) / tile;
  if (pool == nullptr || tiles == 1) {
    for (size_t begin = 0; begin < range; begin += tile) {
      fn(begin, std::min(range, begin + tile));
    }
    return;
  }
  if (tiles > ThreadPool::kMaxRunItems) {
    tile = (range + ThreadPool::kMaxRunItems - 1) / ThreadPool::kMaxRunItems;
    tiles = (range + tile - 1) / tile;
  }
  struct Context {
    const Fn* fn;
    size_t range, tile;
  } context{&fn, range, tile};
  pool->Run(
      tiles,
      [](void* ctx, size_t i) {
        const auto* c = static_cast<const Context*>(ctx);
        const size_t begin = i * c->tile;
        (*c->fn)(begin, std::min(c->range, begin + c->tile));
      },
      &context);
}

// A tile size that gives each thread a few tiles of work (load balance) but
// never less than `min_tile` items per tile (amortizes the call).
size_t BalancedTile(const ThreadPool* pool, size_t range, size_t min_tile);

// Calls of less work than this (multiply-adds, or elements for elementwise
// ops) run on the calling thread. A hand-off costs about a microsecond when
// a worker is polling and a futex wake-up (several microseconds) when it
// sleeps, which is about what this much work takes on one core; and on a
// machine with more runnable threads than cores a worker may not get a core
// for a whole time slice (milliseconds), which only work large enough to be
// worth splitting should risk. A model as small as stories260K (dim 64)
// then runs every decode op serially, as fast as with one thread.
inline constexpr size_t kMinParallelWork = size_t{1} << 18;

// The threshold in force: kMinParallelWork, unless a test changed it.
size_t MinParallelWork();
// Tests of the parallel paths on small shapes set 0 (every call splits);
// the previous value is returned. Not for production code.
size_t SetMinParallelWorkForTesting(size_t work);

// `pool` if a call of `work` operations is worth splitting, else nullptr
// (the ops then run it on the calling thread).
inline ThreadPool* PoolForWork(ThreadPool* pool, size_t work) {
  return work >= MinParallelWork() ? pool : nullptr;
}

}  // namespace edgellm::ops

#endif  // EDGELLM_OPS_THREAD_POOL_H_
