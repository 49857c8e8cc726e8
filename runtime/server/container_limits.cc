#include "runtime/server/container_limits.h"

#include <sched.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace edgellm::server {
namespace {

std::optional<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The process's cgroup and its ancestors, innermost first, as directories
// under ROOT/sys/fs/cgroup ("" for the root cgroup).
std::vector<std::string> CgroupChain(const std::string& root) {
  std::optional<std::string> self = ReadText(root + "/proc/self/cgroup");
  if (!self) return {};
  std::string path;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(*self, '\n')) {
    if (absl::ConsumePrefix(&line, "0::")) {
      path = std::string(absl::StripTrailingAsciiWhitespace(line));
      found = true;
      break;
    }
  }
  if (!found) return {};
  std::vector<std::string> chain;
  while (true) {
    while (!path.empty() && path.back() == '/') path.pop_back();
    chain.push_back(path);
    if (path.empty()) break;
    path = path.substr(0, path.rfind('/'));
  }
  return chain;
}

std::string CgroupFile(const std::string& root, const std::string& cgroup,
                       const char* file) {
  return absl::StrCat(root, "/sys/fs/cgroup", cgroup, "/", file);
}

// cpu.max: "QUOTA PERIOD" in microseconds, or "max PERIOD" for none.
std::optional<int> CpuQuota(const std::string& path) {
  std::optional<std::string> text = ReadText(path);
  if (!text) return std::nullopt;
  std::vector<absl::string_view> words =
      absl::StrSplit(absl::StripAsciiWhitespace(*text), ' ', absl::SkipEmpty());
  int64_t quota = 0, period = 0;
  if (words.size() != 2 || !absl::SimpleAtoi(words[0], &quota) ||
      !absl::SimpleAtoi(words[1], &period) || quota <= 0 || period <= 0) {
    return std::nullopt;  // "max", or unreadable
  }
  return static_cast<int>(std::max<int64_t>(1, (quota + period - 1) / period));
}

std::optional<int64_t> ReadBytes(const std::string& path) {
  std::optional<std::string> text = ReadText(path);
  int64_t bytes = 0;
  if (!text || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &bytes)) {
    return std::nullopt;  // "max", or unreadable
  }
  return bytes;
}

std::optional<int64_t> MemAvailable(const std::string& root) {
  std::optional<std::string> meminfo = ReadText(root + "/proc/meminfo");
  if (!meminfo) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(*meminfo, '\n')) {
    if (!absl::ConsumePrefix(&line, "MemAvailable:")) continue;
    line = absl::StripAsciiWhitespace(line);
    const bool kb = absl::ConsumeSuffix(&line, "kB");
    int64_t value = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &value)) break;
    return kb ? value * 1024 : value;
  }
  return std::nullopt;
}

int64_t Mb(int64_t bytes) { return (bytes + (1 << 20) - 1) >> 20; }

}  // namespace

int AvailableCpus(const std::string& root, int affinity_cpus) {
  int cpus = std::max(1, affinity_cpus);
  for (const std::string& cgroup : CgroupChain(root)) {
    if (std::optional<int> quota =
            CpuQuota(CgroupFile(root, cgroup, "cpu.max"))) {
      cpus = std::min(cpus, *quota);
    }
  }
  return std::max(1, cpus);
}

int AffinityCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

std::optional<MemoryLimit> AvailableMemory(const std::string& root) {
  std::optional<MemoryLimit> best;
  for (const std::string& cgroup : CgroupChain(root)) {
    std::optional<int64_t> max =
        ReadBytes(CgroupFile(root, cgroup, "memory.max"));
    if (!max) continue;
    const int64_t used =
        ReadBytes(CgroupFile(root, cgroup, "memory.current")).value_or(0);
    const int64_t left = std::max<int64_t>(0, *max - used);
    if (!best || left < best->bytes) {
      best =
          MemoryLimit{left, absl::StrCat("cgroup memory.max (",
                                         cgroup.empty() ? "/" : cgroup, ")")};
    }
  }
  if (std::optional<int64_t> available = MemAvailable(root)) {
    if (!best || *available < best->bytes) {
      best = MemoryLimit{*available, "MemAvailable in /proc/meminfo"};
    }
  }
  return best;
}

absl::Status CheckMemory(const MemoryEstimate& e, const EngineOptions& o,
                         int64_t limit_bytes, const std::string& source) {
  if (e.total() <= limit_bytes) return absl::OkStatus();
  // The paged cache's pool: --kv-blocks, or what the slabs would hold.
  const int64_t bs = std::min<int64_t>(o.kv_block_size, e.context);
  const int64_t blocks =
      bs <= 0 ? 0
      : o.kv_blocks > 0
          ? o.kv_blocks
          : int64_t{e.slots} * ((int64_t{e.context} + bs - 1) / bs);
  return absl::ResourceExhaustedError(absl::StrCat(
      "not enough memory: the model (", Mb(e.model_bytes),
      " MB) and its KV cache (", Mb(e.kv_cache_bytes), " MB: ", e.slots,
      " slots x ", e.context, " positions, ",
      o.kv_type == KvCacheType::kF16    ? "f16"
      : o.kv_type == KvCacheType::kQ8_0 ? "q8_0"
                                        : "f32",
      bs > 0 ? absl::StrCat(", a pool of ", blocks, " blocks of ", bs,
                            " positions")
             : std::string(),
      ") need ", Mb(e.total()), " MB, but this process may use ",
      Mb(limit_bytes), " MB (", source, "). Lower ",
      bs > 0 ? "--kv-blocks, " : "", "--ctx or --parallel",
      o.kv_type == KvCacheType::kF32   ? ", use --kv-type f16 or q8_0"
      : o.kv_type == KvCacheType::kF16 ? ", use --kv-type q8_0"
                                       : "",
      ", or raise the memory limit; --no-memory-check starts anyway"));
}

}  // namespace edgellm::server
