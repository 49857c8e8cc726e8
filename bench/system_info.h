// Facts about the machine and this process for benchmark reports (Linux;
// elsewhere the fields are empty or zero).
#ifndef EDGELLM_BENCH_SYSTEM_INFO_H_
#define EDGELLM_BENCH_SYSTEM_INFO_H_

#include <cstdint>
#include <string>

namespace edgellm::bench {

// "model name" of the first processor in /proc/cpuinfo ("" if unknown).
std::string CpuModelName();

// Peak resident set size of this process in bytes: VmHWM from
// /proc/self/status, else getrusage's ru_maxrss.
int64_t PeakRssBytes();

// Resets this process's peak RSS (VmHWM) to its current RSS by writing "5"
// to /proc/self/clear_refs (Linux >= 4.0). Returns false where that is not
// possible; PeakRssBytes then keeps counting from process start.
bool ResetPeakRss();

// User + system CPU time of this process (all threads) so far, in seconds
// (getrusage), or 0 if unknown.
double ProcessCpuSeconds();

// The 1-minute load average (getloadavg), or -1 if unknown. Other work on
// the machine skews timings; reports carry this so a reader can tell.
double LoadAverage1m();

// Size of the last-level (L3, else L2) data cache in bytes as the C library
// reports it (sysconf), or 0 if unknown. Weights smaller than this can stay
// cached between tokens, so decoding may beat the DRAM roofline.
int64_t LastLevelCacheBytes();

}  // namespace edgellm::bench

#endif  // EDGELLM_BENCH_SYSTEM_INFO_H_
