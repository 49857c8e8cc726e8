#include "bench/system_info.h"

#include <gtest/gtest.h>

#include <vector>

namespace edgellm::bench {
namespace {

TEST(SystemInfoTest, PeakRssGrowsWithTouchedMemory) {
  const int64_t before = PeakRssBytes();
  EXPECT_GT(before, 0);
  std::vector<char> big(size_t{64} << 20, 1);  // 64 MiB, touched
  const int64_t after = PeakRssBytes();
  EXPECT_GE(after, before + (int64_t{48} << 20));
  EXPECT_EQ(big[12345], 1);
}

TEST(SystemInfoTest, CpuTimeAdvancesWithWork) {
  const double before = ProcessCpuSeconds();
  volatile double x = 0;
  for (int i = 0; i < 20000000; ++i) x = x + 1e-9 * i;
  EXPECT_GT(ProcessCpuSeconds(), before);
}

TEST(SystemInfoTest, LoadAverageIsKnownOnLinux) {
#if defined(__linux__)
  EXPECT_GE(LoadAverage1m(), 0.0);
#endif
}

TEST(SystemInfoTest, CpuModelNameIsTrimmed) {
  const std::string name = CpuModelName();
  if (name.empty()) GTEST_SKIP() << "no model name in /proc/cpuinfo";
  EXPECT_NE(name.front(), ' ');
  EXPECT_NE(name.back(), ' ');
}

}  // namespace
}  // namespace edgellm::bench
