#include "ops/thread_pool.h"

#include <cpuinfo.h>
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgellm::ops {
namespace {

constexpr size_t kScratchAlignment = 64;  // a cache line; AVX-512 loads

absl::Status InitializeXnnpackOnce() {
  static std::once_flag once;
  static xnn_status status = xnn_status_success;
  std::call_once(once, [] { status = xnn_initialize(/*allocator=*/nullptr); });
  if (status != xnn_status_success) {
    return absl::InternalError(
        absl::StrCat("xnn_initialize failed with xnn_status ", status,
                     " (unsupported hardware or out of memory)"));
  }
  return absl::OkStatus();
}

constexpr uint64_t kItemBits = 20;
constexpr uint64_t kItemMask = (uint64_t{1} << kItemBits) - 1;
constexpr uint32_t kGenMask = (uint32_t{1} << 24) - 1;

uint64_t PackClaim(uint32_t gen, uint64_t n, uint64_t next) {
  return (uint64_t{gen & kGenMask} << (2 * kItemBits)) | (n << kItemBits) |
         next;
}
uint32_t ClaimGen(uint64_t v) {
  return static_cast<uint32_t>(v >> (2 * kItemBits));
}
uint64_t ClaimCount(uint64_t v) { return (v >> kItemBits) & kItemMask; }
uint64_t ClaimNext(uint64_t v) { return v & kItemMask; }

inline void CpuRelax() {
#if defined(__x86_64__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// How long an idle worker polls for the next job before sleeping in the
// kernel. Decode issues a job every few to few hundred microseconds; a
// futex wake-up costs several microseconds more than a poll, but polling
// longer only burns CPU that other processes (or our own caller) could use.
constexpr auto kWorkerSpin = std::chrono::microseconds(100);
// The caller waits for items other threads are running: it polls for this
// long, then sleeps on a futex until the last item is done. Sleeping, not
// sched_yield: on a machine busier than its cores a yield hands the core to
// another process for a whole time slice and brings no wake-up when the
// item finishes, while a sleeper is woken by the worker that finishes it
// (and the scheduler favours a thread that slept).
constexpr auto kCallerSpin = std::chrono::microseconds(50);

}  // namespace

ThreadPool::ThreadPool(size_t num_threads) : num_threads_(num_threads) {
  for (size_t i = 1; i < num_threads_; ++i)
    workers_.emplace_back([this] { WorkerLoop(); });
}

void ThreadPool::WorkerLoop() {
  uint32_t seen = 0;
  for (;;) {
    uint32_t g = gen_.load(std::memory_order_acquire);
    if (g == seen) {
      const auto deadline = std::chrono::steady_clock::now() + kWorkerSpin;
      for (int i = 0; g == seen; ++i) {
        CpuRelax();
        g = gen_.load(std::memory_order_acquire);
        if (i % 64 == 63 && std::chrono::steady_clock::now() > deadline) break;
      }
      while (g == seen) {
        gen_.wait(seen, std::memory_order_acquire);
        g = gen_.load(std::memory_order_acquire);
      }
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = g;
    Work(g);
  }
}

void ThreadPool::Work(uint32_t gen) {
  uint64_t v = claim_.load(std::memory_order_acquire);
  for (;;) {
    if (ClaimGen(v) != (gen & kGenMask) || ClaimNext(v) >= ClaimCount(v)) {
      return;
    }
    if (!claim_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      continue;  // v holds the current value
    }
    // The job cannot finish (and be replaced) before this item is counted
    // done, so its fields are stable here.
    job_fn_(job_context_, ClaimNext(v));
    // seq_cst pairs with the caller's store of caller_sleeping_ and its
    // reload of done_: either it sees this item done or we see it asleep.
    done_.fetch_add(1, std::memory_order_seq_cst);
    if (caller_sleeping_.load(std::memory_order_seq_cst)) done_.notify_one();
    v = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::Run(size_t n, ItemFn fn, void* context) {
  if (n == 0) return;
  if (n > kMaxRunItems) {  // more items than the claim word counts
    struct Chunk {
      ItemFn fn;
      void* context;
      size_t base;
    } chunk{fn, context, 0};
    for (; chunk.base < n; chunk.base += kMaxRunItems) {
      Run(
          std::min(kMaxRunItems, n - chunk.base),
          [](void* c, size_t i) {
            const auto* ch = static_cast<const Chunk*>(c);
            ch->fn(ch->context, ch->base + i);
          },
          &chunk);
    }
    return;
  }
  if (workers_.empty() || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(context, i);
    return;
  }
  std::lock_guard<std::mutex> lock(run_mutex_);
  job_fn_ = fn;
  job_context_ = context;
  done_.store(0, std::memory_order_relaxed);
  const uint32_t gen = gen_.load(std::memory_order_relaxed) + 1;
  claim_.store(PackClaim(gen, n, 0), std::memory_order_release);
  gen_.store(gen, std::memory_order_release);
  gen_.notify_all();
  Work(gen);
  WaitForItems(static_cast<uint32_t>(n));
}

void ThreadPool::WaitForItems(uint32_t n) {
  if (done_.load(std::memory_order_acquire) == n) return;
  const auto deadline = std::chrono::steady_clock::now() + kCallerSpin;
  for (int i = 0; done_.load(std::memory_order_acquire) != n; ++i) {
    CpuRelax();
    if (i % 64 == 63 && std::chrono::steady_clock::now() > deadline) break;
  }
  caller_sleeping_.store(true, std::memory_order_seq_cst);
  for (uint32_t d; (d = done_.load(std::memory_order_seq_cst)) != n;) {
    done_.wait(d, std::memory_order_seq_cst);
  }
  caller_sleeping_.store(false, std::memory_order_relaxed);
}

void ThreadPool::AlignedFree::operator()(void* p) const { std::free(p); }

absl::StatusOr<std::unique_ptr<ThreadPool>> ThreadPool::Create(
    size_t num_threads) {
  if (absl::Status s = InitializeXnnpackOnce(); !s.ok()) return s;
  if (num_threads == 0) {
    // pthreadpool's default: one thread per logical processor (cpuinfo).
    num_threads = cpuinfo_initialize() ? cpuinfo_get_processors_count()
                                       : std::thread::hardware_concurrency();
    num_threads = std::max<size_t>(num_threads, 1);
  }
  return std::unique_ptr<ThreadPool>(new ThreadPool(num_threads));
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  gen_.fetch_add(1, std::memory_order_release);
  gen_.notify_all();
  for (std::thread& t : workers_) t.join();
  if (pool_ != nullptr) pthreadpool_destroy(pool_);
}

pthreadpool_t ThreadPool::get() const {
  std::call_once(pthreadpool_once_,
                 [this] { pool_ = pthreadpool_create(num_threads_); });
  return pool_;
}

void* ThreadPool::Scratch(size_t bytes) {
  if (bytes <= scratch_bytes_) return scratch_.get();
  const size_t rounded =
      (bytes + kScratchAlignment - 1) / kScratchAlignment * kScratchAlignment;
  void* p = std::aligned_alloc(kScratchAlignment, rounded);
  if (p == nullptr) return nullptr;
  scratch_.reset(p);
  scratch_bytes_ = rounded;
  return p;
}

namespace {
std::atomic<size_t> min_parallel_work{kMinParallelWork};
}  // namespace

size_t MinParallelWork() {
  return min_parallel_work.load(std::memory_order_relaxed);
}

size_t SetMinParallelWorkForTesting(size_t work) {
  return min_parallel_work.exchange(work, std::memory_order_relaxed);
}

size_t BalancedTile(const ThreadPool* pool, size_t range, size_t min_tile) {
  constexpr size_t kTilesPerThread = 4;
  const size_t threads = pool != nullptr ? pool->num_threads() : 1;
  const size_t tile = range / (threads * kTilesPerThread);
  return std::max(tile, std::max<size_t>(min_tile, 1));
}

}  // namespace edgellm::ops
