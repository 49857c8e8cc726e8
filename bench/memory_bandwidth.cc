#include "bench/memory_bandwidth.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "util/huge_page_buffer.h"

namespace edgellm::bench {
namespace {

constexpr size_t kAlignment = 4096;
// Independent accumulators so the sum is not one serial add chain; the
// compiler vectorizes the inner loop (SSE2 at the portable baseline, which
// is enough: two 16-byte loads per cycle far exceed DRAM bandwidth).
constexpr size_t kLanes = 8;

// Sums n words; with prefetch_bytes > 0 each 64-byte line is also
// prefetched that far ahead (prefetching past the end is harmless: prefetches
// never fault).
uint64_t SumWords(const uint64_t* p, size_t n, size_t prefetch_bytes) {
  uint64_t acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    if (prefetch_bytes != 0) {
      __builtin_prefetch(reinterpret_cast<const char*>(p + i) + prefetch_bytes,
                         /*rw=*/0, /*locality=*/3);
    }
    for (size_t j = 0; j < kLanes; ++j) acc[j] += p[i + j];
  }
  for (; i < n; ++i) acc[0] += p[i];
  uint64_t s = 0;
  for (size_t j = 0; j < kLanes; ++j) s += acc[j];
  return s;
}

// Reads [0, n) as `streams` equal sub-ranges advanced together, a chunk of
// each in turn, as a GEMV over a group of weight rows reads.
constexpr size_t kChunkWords = 512;  // 4 KiB per stream per turn

uint64_t SumStreams(const uint64_t* p, size_t n, size_t streams,
                    size_t prefetch_bytes) {
  const size_t len = n / streams;
  uint64_t s = 0;
  for (size_t c = 0; c < len; c += kChunkWords) {
    const size_t m = std::min(kChunkWords, len - c);
    for (size_t t = 0; t < streams; ++t) {
      s += SumWords(p + t * len + c, m, prefetch_bytes);
    }
  }
  return s + SumWords(p + streams * len, n - streams * len, prefetch_bytes);
}

// The read patterns tried; the best counts (see the header). Measured on the
// 2-core Xeon of docs/performance.md: one plain stream per thread 14.6 GB/s,
// with a 4 KiB software prefetch 19-22, 2-4 streams with 2-4 KiB 22-23.
struct ReadPattern {
  size_t streams;
  size_t prefetch_bytes;
};
constexpr ReadPattern kPatterns[] = {{1, 0},    {1, 4096}, {2, 2048},
                                     {2, 4096}, {4, 2048}, {4, 4096}};

}  // namespace

absl::StatusOr<MemoryBandwidth> MeasureMemoryReadBandwidth(
    ops::ThreadPool* pool, size_t buffer_bytes, int passes,
    double sustained_seconds) {
  // A finite time: an infinite one (--bandwidth-seconds inf) would read
  // forever.
  if (buffer_bytes < kAlignment || passes <= 0 ||
      !(std::isfinite(sustained_seconds) && sustained_seconds >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "memory bandwidth: buffer of ", buffer_bytes, " bytes, ", passes,
        " passes and ", sustained_seconds, " s sustained; need >= ", kAlignment,
        " bytes, >= 1 pass and a finite time >= 0 s"));
  }
  buffer_bytes = buffer_bytes / kAlignment * kAlignment;
  // The same memory as the packed weights it is compared with (huge pages
  // where the kernel gives them), so the roofline is what the GEMV's own
  // kind of memory can deliver.
  absl::StatusOr<HugePageBuffer> memory =
      HugePageBuffer::Allocate(buffer_bytes);
  if (!memory.ok()) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "memory bandwidth: cannot allocate ", buffer_bytes, " bytes"));
  }
  auto* buf = static_cast<uint64_t*>(memory->data());
  // Non-zero contents so the pages are really backed (zero pages could map
  // the shared zero page).
  std::memset(buf, 1, buffer_bytes);

  const size_t words = buffer_bytes / sizeof(uint64_t);
  const size_t threads = pool != nullptr ? pool->num_threads() : 1;
  // One contiguous share per thread: each streams sequentially, as a GEMV
  // task streams its rows of weights.
  const size_t share = (words + threads - 1) / threads;
  std::atomic<uint64_t> sink{0};
  // One read of the whole buffer in `pattern`; its duration in seconds.
  auto read_pass = [&](const ReadPattern& pattern) {
    const auto start = std::chrono::steady_clock::now();
    ops::ParallelFor(pool, words, share, [&](size_t w0, size_t w1) {
      sink.fetch_add(SumStreams(buf + w0, w1 - w0, pattern.streams,
                                pattern.prefetch_bytes),
                     std::memory_order_relaxed);
    });
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  MemoryBandwidth result;
  result.buffer_bytes = buffer_bytes;
  result.passes = passes;
  result.threads = threads;
  // Counts a pass of `sec` seconds towards the peak; true if it is the new
  // best. Sustained passes count too, so sustained <= peak.
  auto record_peak = [&](double sec) {
    if (sec <= 0 || buffer_bytes / sec / 1e9 <= result.best_gb_per_s) {
      return false;
    }
    result.best_gb_per_s = buffer_bytes / sec / 1e9;
    return true;
  };
  ReadPattern best = kPatterns[0];
  for (int pass = 0; pass < passes; ++pass) {
    for (const ReadPattern& pattern : kPatterns) {
      if (record_peak(read_pass(pattern))) {
        result.streams_per_thread = pattern.streams;
        result.prefetch_bytes = pattern.prefetch_bytes;
        best = pattern;
      }
    }
  }
  if (sustained_seconds > 0) {
    double total = 0;
    int n = 0;
    do {
      const double sec = read_pass(best);
      record_peak(sec);
      total += sec;
      ++n;
    } while (total < sustained_seconds);
    result.sustained_passes = n;
    result.sustained_seconds = total;
    result.sustained_gb_per_s = total > 0 ? n * buffer_bytes / total / 1e9 : 0;
  }
  return result;
}

}  // namespace edgellm::bench
