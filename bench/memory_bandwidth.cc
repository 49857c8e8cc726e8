#include "bench/memory_bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace edgellm::bench {
namespace {

constexpr size_t kAlignment = 4096;
// Independent accumulators so the sum is not one serial add chain; the
// compiler vectorizes the inner loop (SSE2 at the portable baseline, which
// is enough: two 16-byte loads per cycle far exceed DRAM bandwidth).
constexpr size_t kLanes = 8;

uint64_t SumWords(const uint64_t* p, size_t n) {
  uint64_t acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t j = 0; j < kLanes; ++j) acc[j] += p[i + j];
  }
  for (; i < n; ++i) acc[0] += p[i];
  uint64_t s = 0;
  for (size_t j = 0; j < kLanes; ++j) s += acc[j];
  return s;
}

}  // namespace

absl::StatusOr<MemoryBandwidth> MeasureMemoryReadBandwidth(
    ops::ThreadPool* pool, size_t buffer_bytes, int passes) {
  if (buffer_bytes < kAlignment || passes <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "memory bandwidth: buffer of ", buffer_bytes, " bytes and ", passes,
        " passes; need >= ", kAlignment, " bytes and >= 1 pass"));
  }
  buffer_bytes = buffer_bytes / kAlignment * kAlignment;
  std::unique_ptr<uint64_t, decltype(&std::free)> buf(
      static_cast<uint64_t*>(std::aligned_alloc(kAlignment, buffer_bytes)),
      &std::free);
  if (buf == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "memory bandwidth: cannot allocate ", buffer_bytes, " bytes"));
  }
  // Non-zero contents so the pages are really backed (zero pages could map
  // the shared zero page).
  std::memset(buf.get(), 1, buffer_bytes);

  const size_t words = buffer_bytes / sizeof(uint64_t);
  const size_t threads = pool != nullptr ? pool->num_threads() : 1;
  // One contiguous share per thread: each streams sequentially, as a GEMV
  // task streams its rows of weights.
  const size_t share = (words + threads - 1) / threads;
  std::atomic<uint64_t> sink{0};
  MemoryBandwidth result;
  result.buffer_bytes = buffer_bytes;
  result.passes = passes;
  result.threads = threads;
  for (int pass = 0; pass < passes; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    ops::ParallelFor(pool, words, share, [&](size_t w0, size_t w1) {
      sink.fetch_add(SumWords(buf.get() + w0, w1 - w0),
                     std::memory_order_relaxed);
    });
    const double sec =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (sec > 0) {
      result.best_gb_per_s =
          std::max(result.best_gb_per_s, buffer_bytes / sec / 1e9);
    }
  }
  return result;
}

}  // namespace edgellm::bench
