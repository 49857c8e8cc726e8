#include "ops/row_tasks.h"

#include <algorithm>
#include <atomic>

namespace edgellm::ops::internal {
namespace {

// Smallest number of output rows per task: below this the pool's dispatch
// cost (~1 us) outweighs the work of a GEMV row group.
constexpr size_t kMinRowsPerTask = 16;
// Row tasks are a multiple of the kernels' row tile so no task ends in the
// one-row tail loop except the last.
constexpr size_t kRowTaskMultiple = 16;
// Up to this batch a call streams its weights from memory (decode steps,
// small decode batches) and is split into guided tasks.
constexpr size_t kGuidedMaxBatch = 4;
// Guided split: each task takes this fraction (1/(divisor x threads)) of the
// rows still unassigned, but at least kGuidedMinRows.
constexpr size_t kGuidedDivisor = 2;
constexpr size_t kGuidedMinRows = 32;

std::atomic<uint64_t> next_call_id{1};

size_t RoundUpRows(size_t rows) {
  return (rows + kRowTaskMultiple - 1) / kRowTaskMultiple * kRowTaskMultiple;
}

// Compute-bound calls (prompt batches): every matrix in equal tiles of
// RowTile rows.
size_t EvenRowTasks(const ThreadPool* pool, absl::Span<const size_t> rows,
                    RowTask* tasks) {
  size_t n = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const size_t out = rows[i];
    size_t tile = RowTile(pool, out);
    const size_t budget = kMaxRowTasks / rows.size();
    if ((out + tile - 1) / tile > budget)
      tile = RoundUpRows((out + budget - 1) / budget);
    for (size_t o = 0; o < out; o += tile) {
      tasks[n++] = RowTask{uint32_t(i), o, std::min(out, o + tile)};
    }
  }
  return n;
}

// Memory-bound calls (decode): tasks shrink as the call proceeds (guided
// scheduling), so the threads run out of work at nearly the same moment:
// with equal tasks the last one claimed kept one thread streaming alone for
// up to a whole task while the other waited. Measured on tinyllama decode
// (2 threads): the threads' busy share of the GEMV calls went from 95-97%
// to 98-99%, GEMV throughput +1-2% (alternating the two splits per token).
size_t GuidedRowTasks(const ThreadPool* pool, absl::Span<const size_t> rows,
                      RowTask* tasks) {
  const size_t threads = pool != nullptr ? pool->num_threads() : 1;
  size_t remaining = 0;
  for (size_t out : rows) remaining += out;
  // The smallest task is large enough that the whole split fits in
  // kMaxRowTasks: the tail of the geometric part and the minimum-size tasks
  // together number at most rows / min_rows, plus one partial task per
  // matrix. (Only reached by large pools: 4 x 32000 rows on 64 threads.)
  const size_t min_rows = RoundUpRows(std::max(
      kGuidedMinRows, (remaining + kMaxRowTasks - 2 * rows.size() - 1) /
                          (kMaxRowTasks - 2 * rows.size())));
  size_t n = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const size_t out = rows[i];
    for (size_t o = 0; o < out;) {
      size_t take = RoundUpRows(
          std::max(min_rows, remaining / (kGuidedDivisor * threads)));
      // Never past kMaxRowTasks (a guard: min_rows makes it unreachable).
      if (n + 1 + (rows.size() - 1 - i) >= kMaxRowTasks) take = out - o;
      const size_t end = std::min(out, o + take);
      tasks[n++] = RowTask{uint32_t(i), o, end};
      remaining -= end - o;
      o = end;
    }
  }
  return n;
}

}  // namespace

size_t RowTile(const ThreadPool* pool, size_t out) {
  return RoundUpRows(BalancedTile(pool, out, kMinRowsPerTask));
}

size_t SplitRowTasks(const ThreadPool* pool, size_t batch,
                     absl::Span<const size_t> rows, RowTask* tasks) {
  return batch <= kGuidedMaxBatch ? GuidedRowTasks(pool, rows, tasks)
                                  : EvenRowTasks(pool, rows, tasks);
}

uint64_t NextCallId() {
  return next_call_id.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace edgellm::ops::internal
