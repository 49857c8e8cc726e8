// Measures the machine's memory-read bandwidth in-process, the ceiling that
// decoding (which streams every weight once per token) runs against.
//
// A buffer much larger than the last-level cache is written once (so its
// pages are resident), then read and summed by the pool's threads, each
// reading one contiguous share in several patterns: 1, 2 or 4 interleaved
// streams, with and without software prefetch 2-4 KiB ahead (what a
// well-written GEMV does; one plain stream reads ~35% slower on the Xeon of
// docs/performance.md). The best pass of the best pattern counts: other
// processes can only slow a pass down, and the roofline must be what the
// machine can do, or a kernel could beat "100%". The buffer is a
// HugePageBuffer, the memory the packed weights live in.
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
};

// Errors: INVALID_ARGUMENT for a zero size or pass count, RESOURCE_EXHAUSTED
// if the buffer cannot be allocated.
absl::StatusOr<MemoryBandwidth> MeasureMemoryReadBandwidth(
    ops::ThreadPool* pool, size_t buffer_bytes = size_t{1} << 30,
    int passes = 3);

}  // namespace edgellm::bench

#endif  // EDGELLM_BENCH_MEMORY_BANDWIDTH_H_
