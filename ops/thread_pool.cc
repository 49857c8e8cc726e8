#include "ops/thread_pool.h"

#include <xnnpack.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

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

}  // namespace

void ThreadPool::AlignedFree::operator()(void* p) const { std::free(p); }

absl::StatusOr<std::unique_ptr<ThreadPool>> ThreadPool::Create(
    size_t num_threads) {
  if (absl::Status s = InitializeXnnpackOnce(); !s.ok()) return s;
  pthreadpool_t pool = pthreadpool_create(num_threads);
  if (pool == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("pthreadpool_create(", num_threads, ") failed"));
  }
  return std::unique_ptr<ThreadPool>(new ThreadPool(pool));
}

ThreadPool::~ThreadPool() { pthreadpool_destroy(pool_); }

size_t ThreadPool::num_threads() const {
  return pthreadpool_get_threads_count(pool_);
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

size_t BalancedTile(const ThreadPool* pool, size_t range, size_t min_tile) {
  constexpr size_t kTilesPerThread = 4;
  const size_t threads = pool != nullptr ? pool->num_threads() : 1;
  const size_t tile = range / (threads * kTilesPerThread);
  return std::max(tile, std::max<size_t>(min_tile, 1));
}

}  // namespace edgellm::ops
