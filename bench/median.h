// The median the benchmarks report: robust to the one slow run a busy
// machine gives.
#ifndef EDGELLM_BENCH_MEDIAN_H_
#define EDGELLM_BENCH_MEDIAN_H_

#include <vector>

namespace edgellm::bench {

// The middle sample (of an even count, the upper of the two middle ones);
// 0 when there are none.
double Median(std::vector<double> samples);

}  // namespace edgellm::bench

#endif  // EDGELLM_BENCH_MEDIAN_H_
