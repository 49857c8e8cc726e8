// Prometheus text exposition format 0.0.4, written by hand (Debian has no
// Prometheus client library for C++): a writer for metric families and a
// thread-safe histogram.
//
//   TextWriter out;
//   out.Family("edgellm_requests_total", "counter", "Requests served.");
//   out.Sample("edgellm_requests_total", {{"code", "OK"}}, 3);
//   std::string body = out.text();
//
// The format (prometheus.io, "Exposition formats", text format 0.0.4): per
// family one `# HELP name text` and one `# TYPE name type` line, then
// `name{label="value",...} number` lines. In HELP text `\` and newline are
// escaped; in label values `\`, `"` and newline. Numbers are Go-style
// floats: `+Inf`, `-Inf`, `NaN`, integers without an exponent.
//
// Threading: TextWriter is not thread-safe (one per scrape); Histogram is.
#ifndef EDGELLM_RUNTIME_SERVER_METRICS_PROMETHEUS_H_
#define EDGELLM_RUNTIME_SERVER_METRICS_PROMETHEUS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace edgellm::server::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// A sample value as the format writes it.
std::string FormatValue(double value);
// `\` -> `\\`, newline -> `\n`; in label values also `"` -> `\"`.
std::string EscapeHelp(absl::string_view text);
std::string EscapeLabelValue(absl::string_view value);

// Buckets (upper bounds, ascending) and the counts in them: one histogram's
// state at one moment.
struct HistogramSnapshot {
  std::vector<double> bounds;     // without +Inf
  std::vector<uint64_t> buckets;  // per bound, NOT cumulative; + 1 for +Inf
  double sum = 0;
  uint64_t count = 0;
};

class Histogram {
 public:
  // `bounds` ascending and finite; the +Inf bucket is implied.
  explicit Histogram(std::vector<double> bounds);
  // Counts `value` in the first bucket whose bound is >= it (Prometheus's
  // `le`, less than or equal). NaN is ignored.
  void Observe(double value);
  HistogramSnapshot Snapshot() const;

 private:
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::vector<uint64_t> buckets_ ABSL_GUARDED_BY(mu_);
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

class TextWriter {
 public:
  // Starts a family: `type` is "counter", "gauge" or "histogram".
  void Family(absl::string_view name, absl::string_view type,
              absl::string_view help);
  void Sample(absl::string_view name, const Labels& labels, double value);
  // The `_bucket` (cumulative, `le` label last), `_sum` and `_count` lines
  // of a histogram family started with Family(name, "histogram", ...).
  void HistogramSamples(absl::string_view name, const Labels& labels,
                        const HistogramSnapshot& histogram);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace edgellm::server::metrics

#endif  // EDGELLM_RUNTIME_SERVER_METRICS_PROMETHEUS_H_
