// How the quantized linear layers split their output rows into parallel
// tasks (internal to ops/): shared by LinearQ8_0 and QuantLinear so every
// weight type is scheduled the same way.
#ifndef EDGELLM_OPS_ROW_TASKS_H_
#define EDGELLM_OPS_ROW_TASKS_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "ops/thread_pool.h"

namespace edgellm::ops::internal {

// A parallel task: output rows [begin, end) of matrix `matrix` of a call.
struct RowTask {
  uint32_t matrix;
  size_t begin, end;
};

// Enough for the guided split of a few matrices (each adds at most one
// partial task) and for the even split's tiles on 64 threads; a pool larger
// than that gets larger tasks.
inline constexpr size_t kMaxRowTasks = 512;
// At most this many matrices per call.
inline constexpr size_t kMaxMatricesPerCall = 4;

// Splits the rows of matrices with `rows[i]` output rows each into at most
// kMaxRowTasks tasks, writing them to `tasks`; returns their number. Batches
// up to a few rows stream their weights from memory (decode) and get guided
// tasks that shrink as the call proceeds, so the threads finish together;
// larger batches (prompts, compute-bound) get equal tiles. Tasks are
// multiples of 16 rows (the kernels' row tile) except a matrix's last.
size_t SplitRowTasks(const ThreadPool* pool, size_t batch,
                     absl::Span<const size_t> rows, RowTask* tasks);

// Rows per task for a single plain loop over `out` rows (the reference
// paths): balanced over the pool, a multiple of 16.
size_t RowTile(const ThreadPool* pool, size_t out);

// A new id for one GEMM call (kernels key per-call work on it); never 0.
uint64_t NextCallId();

// Below this batch, quantizing activations on the calling thread is cheaper
// than waking the pool.
inline constexpr size_t kParallelQuantizeMinBatch = 4;

}  // namespace edgellm::ops::internal

#endif  // EDGELLM_OPS_ROW_TASKS_H_
