#include "runtime/server/metrics/prometheus.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace edgellm::server::metrics {
namespace {

TEST(FormatValueTest, WritesGoStyleFloats) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(42), "42");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(1e15), "1000000000000000");
  EXPECT_EQ(FormatValue(0.005), "0.005");
  EXPECT_EQ(FormatValue(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  // Every finite value reads back exactly.
  for (double v : {1.0 / 3, 2.5e-7, 123456.789, 1e300, 9007199254740993.0}) {
    EXPECT_EQ(std::strtod(FormatValue(v).c_str(), nullptr), v) << v;
  }
}

TEST(EscapeTest, HelpEscapesBackslashAndNewline) {
  EXPECT_EQ(EscapeHelp("a\\b\nc\"d"), "a\\\\b\\nc\"d");
}

TEST(EscapeTest, LabelValuesAlsoEscapeQuotes) {
  EXPECT_EQ(EscapeLabelValue("a\\b\nc\"d"), "a\\\\b\\nc\\\"d");
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
}

TEST(TextWriterTest, WritesFamiliesAndSamples) {
  TextWriter out;
  out.Family("x_total", "counter", "Things\ncounted.");
  out.Sample("x_total", {{"method", "POST /v1"}, {"code", "say \"hi\""}}, 3);
  out.Sample("x_total", {}, 0.5);
  EXPECT_EQ(out.text(),
            "# HELP x_total Things\\ncounted.\n"
            "# TYPE x_total counter\n"
            "x_total{method=\"POST /v1\",code=\"say \\\"hi\\\"\"} 3\n"
            "x_total 0.5\n");
}

TEST(HistogramTest, BucketsAreUpperBoundsInclusive) {
  Histogram h({0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 1.0, 5.0, 100.0, std::nan("")}) {
    h.Observe(v);
  }
  const HistogramSnapshot s = h.Snapshot();
  // 0.05 and 0.1 (le is <=), 0.5 and 1, 5, 100 over the top; NaN ignored.
  EXPECT_EQ(s.buckets, (std::vector<uint64_t>{2, 2, 1, 1}));
  EXPECT_EQ(s.count, 6u);
  EXPECT_DOUBLE_EQ(s.sum, 0.05 + 0.1 + 0.5 + 1.0 + 5.0 + 100.0);
}

TEST(HistogramTest, WritesCumulativeBucketsSumAndCount) {
  Histogram h({0.5, 2});
  h.Observe(0.25);
  h.Observe(1);
  h.Observe(3);
  TextWriter out;
  out.HistogramSamples("lat_seconds", {{"m", "a"}}, h.Snapshot());
  EXPECT_EQ(out.text(),
            "lat_seconds_bucket{m=\"a\",le=\"0.5\"} 1\n"
            "lat_seconds_bucket{m=\"a\",le=\"2\"} 2\n"
            "lat_seconds_bucket{m=\"a\",le=\"+Inf\"} 3\n"
            "lat_seconds_sum{m=\"a\"} 4.25\n"
            "lat_seconds_count{m=\"a\"} 3\n");
}

TEST(HistogramTest, EmptyHistogramHasZeroBuckets) {
  Histogram h({1});
  TextWriter out;
  out.HistogramSamples("h", {}, h.Snapshot());
  EXPECT_EQ(out.text(),
            "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\n"
            "h_count 0\n");
}

}  // namespace
}  // namespace edgellm::server::metrics
