#include "runtime/server/container_limits.h"

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgellm::server {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A fake root with /proc/self/cgroup, /proc/meminfo and /sys/fs/cgroup
// files, in the test's temporary directory.
class FakeRoot {
 public:
  FakeRoot() {
    root_ = fs::path(::testing::TempDir()) /
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  ~FakeRoot() { fs::remove_all(root_); }
  void Write(const std::string& path, const std::string& text) {
    const fs::path p = root_ / path;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::string root() const { return root_.string(); }

 private:
  fs::path root_;
};

constexpr char kService[] = "0::/system.slice/edgellm.service\n";

TEST(AvailableCpusTest, AffinityWithoutQuota) {
  FakeRoot r;
  r.Write("proc/self/cgroup", kService);
  r.Write("sys/fs/cgroup/system.slice/edgellm.service/cpu.max", "max 100000\n");
  EXPECT_EQ(AvailableCpus(r.root(), 4), 4);
}

TEST(AvailableCpusTest, QuotaRoundsUpAndCapsTheAffinity) {
  FakeRoot r;
  r.Write("proc/self/cgroup", kService);
  // 250% = 2.5 CPUs -> 3.
  r.Write("sys/fs/cgroup/system.slice/edgellm.service/cpu.max",
          "250000 100000\n");
  EXPECT_EQ(AvailableCpus(r.root(), 8), 3);
  EXPECT_EQ(AvailableCpus(r.root(), 2), 2);  // affinity is smaller
}

TEST(AvailableCpusTest, TightestAncestorWinsAndAtLeastOne) {
  FakeRoot r;
  r.Write("proc/self/cgroup", "12:cpu:/legacy\n" + std::string(kService));
  r.Write("sys/fs/cgroup/system.slice/edgellm.service/cpu.max",
          "400000 100000\n");
  r.Write("sys/fs/cgroup/system.slice/cpu.max", "150000 100000\n");
  EXPECT_EQ(AvailableCpus(r.root(), 8), 2);
  r.Write("sys/fs/cgroup/cpu.max", "10000 100000\n");  // 10% -> 1
  EXPECT_EQ(AvailableCpus(r.root(), 8), 1);
}

TEST(AvailableCpusTest, ContainerRootCgroupAndUnreadableFiles) {
  FakeRoot r;
  // In a container's cgroup namespace the process sits at "/".
  r.Write("proc/self/cgroup", "0::/\n");
  r.Write("sys/fs/cgroup/cpu.max", "200000 100000");
  EXPECT_EQ(AvailableCpus(r.root(), 16), 2);
  r.Write("sys/fs/cgroup/cpu.max", "garbage");
  EXPECT_EQ(AvailableCpus(r.root(), 16), 16);
  FakeRoot empty;  // no /proc at all (cgroup v1 or not Linux)
  EXPECT_EQ(AvailableCpus(empty.root(), 3), 3);
  EXPECT_EQ(AvailableCpus(empty.root(), 0), 1);
}

TEST(AvailableMemoryTest, CgroupLimitLessUsage) {
  FakeRoot r;
  r.Write("proc/self/cgroup", kService);
  r.Write("proc/meminfo", "MemTotal: 8000000 kB\nMemAvailable: 6000000 kB\n");
  r.Write("sys/fs/cgroup/system.slice/edgellm.service/memory.max",
          "1073741824\n");
  r.Write("sys/fs/cgroup/system.slice/edgellm.service/memory.current",
          "73741824\n");
  std::optional<MemoryLimit> m = AvailableMemory(r.root());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->bytes, 1000000000);
  EXPECT_THAT(m->source,
              HasSubstr("memory.max (/system.slice/edgellm.service)"));
}

TEST(AvailableMemoryTest, MemAvailableWithoutALimitOrWhenSmaller) {
  FakeRoot r;
  r.Write("proc/self/cgroup", kService);
  r.Write("proc/meminfo", "MemTotal: 8000000 kB\nMemAvailable: 500000 kB\n");
  r.Write("sys/fs/cgroup/system.slice/edgellm.service/memory.max", "max\n");
  std::optional<MemoryLimit> m = AvailableMemory(r.root());
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->bytes, int64_t{500000} * 1024);
  EXPECT_THAT(m->source, HasSubstr("MemAvailable"));
  r.Write("sys/fs/cgroup/system.slice/memory.max", "4294967296\n");
  EXPECT_THAT(AvailableMemory(r.root())->source, HasSubstr("MemAvailable"));
}

TEST(AvailableMemoryTest, NothingReadable) {
  FakeRoot r;
  EXPECT_FALSE(AvailableMemory(r.root()).has_value());
}

TEST(CheckMemoryTest, FitsOrSaysWhatToChange) {
  MemoryEstimate e;
  e.model_bytes = int64_t{300} << 20;
  e.kv_cache_bytes = int64_t{200} << 20;
  e.slots = 5;
  e.context = 2048;
  EngineOptions o;
  o.kv_block_size = 0;  // the slabs (the paged pool: below)
  EXPECT_TRUE(CheckMemory(e, o, int64_t{500} << 20, "x").ok());
  const absl::Status s =
      CheckMemory(e, o, int64_t{400} << 20, "cgroup memory.max (/)");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  const std::string m(s.message());
  EXPECT_THAT(m, HasSubstr("model (300 MB)"));
  EXPECT_THAT(m, HasSubstr("KV cache (200 MB: 5 slots x 2048 positions, f32)"));
  EXPECT_THAT(m, HasSubstr("need 500 MB"));
  EXPECT_THAT(m, HasSubstr("may use 400 MB (cgroup memory.max (/))"));
  EXPECT_THAT(m, HasSubstr("--ctx"));
  EXPECT_THAT(m, HasSubstr("--parallel"));
  EXPECT_THAT(m, HasSubstr("--kv-type f16"));
  EXPECT_THAT(m, HasSubstr("--no-memory-check"));
  // The paged cache names its pool and --kv-blocks.
  EngineOptions paged = o;
  paged.kv_block_size = 16;
  const std::string pm(
      CheckMemory(e, paged, int64_t{400} << 20, "x").message());
  EXPECT_THAT(pm, HasSubstr("5 slots x 2048 positions, f32, a pool of 640 "
                            "blocks of 16 positions)"));
  EXPECT_THAT(pm, HasSubstr("Lower --kv-blocks, --ctx or --parallel"));
  paged.kv_blocks = 100;
  EXPECT_THAT(std::string(CheckMemory(e, paged, 1, "x").message()),
              HasSubstr("a pool of 100 blocks"));
  o.kv_type = KvCacheType::kF16;  // already f16: only q8_0 is smaller
  const std::string f16(CheckMemory(e, o, 1, "x").message());
  EXPECT_THAT(f16, HasSubstr("use --kv-type q8_0"));
  EXPECT_THAT(f16, ::testing::Not(HasSubstr("--kv-type f16")));
  o.kv_type = KvCacheType::kQ8_0;  // the smallest: none suggested
  EXPECT_THAT(std::string(CheckMemory(e, o, 1, "x").message()),
              ::testing::Not(HasSubstr("--kv-type")));
}

}  // namespace
}  // namespace edgellm::server
