// Measures the machine's memory-read bandwidth in-process, the ceiling that
// decoding (which streams every weight once per token) runs against.
//
// A buffer much larger than the last-level cache is written once (so its
// pages are resident), then read and summed by the pool's threads, each
// reading one contiguous share in several patterns: 1, 2 or 4 interleaved
// streams, with and without software prefetch 2-4 KiB ahead (what a
// well-written GEMV does; one plain stream reads ~35% slower on the Xeon of
// docs/performance.md). The buffer is a HugePageBuffer, the memory the packed
// weights live in.
//
// Two figures come out:
// - peak: the best single pass (~40 ms for 1 GiB here) of the best pattern.
// - sustained: the best pattern read again and again for `sustained_seconds`,
//   total bytes over total time. This is the rate a workload that streams
//   for seconds (a generation test) can hope for. On a shared host the two
//   differ: on the dev VM consecutive 40 ms passes range 21-28 GB/s, so the
//   best of 18 passes sits ~10% above what any sustained read gets in the
//   same minute (docs/performance.md).
//
// Threading: uses `pool` (nullptr = calling thread only); not reentrant on
// one pool (pthreadpool serializes calls anyway).
#ifndef EDGELLM_BENCH_MEMORY_BANDWIDTH_H_
#define EDGELLM_BENCH_MEMORY_BANDWIDTH_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "ops/thread_pool.h"

namespace edgellm::bench {

struct MemoryBandwidth {
  size_t buffer_bytes = 0;
  int passes = 0;
  size_t threads = 0;
  double best_gb_per_s = 0;       // 1 GB = 1e9 bytes
  size_t streams_per_thread = 0;  // of the best pass
  size_t prefetch_bytes = 0;      // of the best pass (0 = none)
  // The best pattern read repeatedly for at least the asked time (0 passes
  // and 0 GB/s when it was 0).
  double sustained_gb_per_s = 0;
  double sustained_seconds = 0;
  int sustained_passes = 0;
};

// `passes` rounds of every pattern find the peak; then the best pattern
// reads for `sustained_seconds` (at least one pass; 0 = skip). Errors:
// INVALID_ARGUMENT for a zero size or pass count or a negative or
// non-finite time,
// RESOURCE_EXHAUSTED if the buffer cannot be allocated.
absl::StatusOr<MemoryBandwidth> MeasureMemoryReadBandwidth(
    ops::ThreadPool* pool, size_t buffer_bytes = size_t{1} << 30,
    int passes = 3, double sustained_seconds = 0);

}  // namespace edgellm::bench

#endif  // EDGELLM_BENCH_MEMORY_BANDWIDTH_H_
