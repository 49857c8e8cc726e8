// The comma-separated size lists of the benchmarks' flags (--batches=1,16).
#ifndef EDGELLM_BENCH_SIZE_LIST_H_
#define EDGELLM_BENCH_SIZE_LIST_H_

#include <cstddef>
#include <vector>

namespace edgellm::bench {

// The comma-separated positive integers of `list`, or an empty vector if
// one is not.
std::vector<size_t> ParseSizes(const char* list);

}  // namespace edgellm::bench

#endif  // EDGELLM_BENCH_SIZE_LIST_H_
