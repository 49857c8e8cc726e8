// The CPUs and the memory this process may use, as a container or a
// systemd unit limits them, for `edgellm serve`'s defaults and its memory
// check at start. Linux, cgroup v2 (the unified hierarchy Debian 12 and
// Kubernetes nodes mount at /sys/fs/cgroup).
//
// Every reader takes the root directory of the file system it reads ("/"
// on a real system) so tests can give a fake /proc and /sys/fs/cgroup.
// The process's cgroup is the "0::PATH" line of ROOT/proc/self/cgroup; the
// limits are the tightest of that cgroup and each of its ancestors.
#ifndef EDGELLM_RUNTIME_SERVER_CONTAINER_LIMITS_H_
#define EDGELLM_RUNTIME_SERVER_CONTAINER_LIMITS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "runtime/engine/edgellm.h"

namespace edgellm::server {

// The CPUs to use by default: `affinity_cpus` (the CPUs of the process's
// affinity mask, sched_getaffinity) capped by the cgroup's cpu.max quota /
// period, rounded up; at least 1. With no quota, or nothing readable under
// `root`, the affinity count.
int AvailableCpus(const std::string& root, int affinity_cpus);

// CPUs in the calling thread's affinity mask (at least 1).
int AffinityCpus();

struct MemoryLimit {
  int64_t bytes = 0;
  // Where the figure comes from: "cgroup memory.max (PATH)" or
  // "MemAvailable in /proc/meminfo".
  std::string source;
};

// The memory the process may still take: the cgroup's memory.max less its
// memory.current (the tightest over the ancestors with a limit), or
// /proc/meminfo's MemAvailable when that is smaller or no cgroup sets a
// limit. nullopt when neither can be read.
std::optional<MemoryLimit> AvailableMemory(const std::string& root);

// The memory check at start: OK when `estimate` fits `limit_bytes`, else
// RESOURCE_EXHAUSTED saying, in MB, what is needed, what may be used and
// from where (`limit_source`), and what to change (--ctx, --parallel,
// --kv-type f16, --no-memory-check).
absl::Status CheckMemory(const MemoryEstimate& estimate,
                         const EngineOptions& options, int64_t limit_bytes,
                         const std::string& limit_source);

}  // namespace edgellm::server

#endif  // EDGELLM_RUNTIME_SERVER_CONTAINER_LIMITS_H_
