// The metrics of `edgellm serve`, exposed at GET /metrics in Prometheus's
// text format (prometheus.h). Both protocols record into one ServerMetrics:
// the gRPC service and the HTTP facade call RecordRequest() and
// RecordGeneration() from the request log they share (frontend.h); the
// gauges (queue, running, KV use) are read from the engine at scrape time.
//
//   edgellm_requests_total{protocol,method,code}     counter
//   edgellm_requests_waiting / _running              gauges
//   edgellm_kv_cache_usage_ratio                     gauge, 0..1
//   edgellm_prompt_tokens_total                      counter
//   edgellm_generation_tokens_total                  counter
//   edgellm_time_to_first_token_seconds              histogram
//   edgellm_time_per_output_token_seconds            histogram
//   edgellm_model_load_seconds                       gauge
//   edgellm_ready                                    gauge, 1 when serving
// and, for Kubernetes inference routers that read vLLM's names, the same
// figures as aliases: vllm:num_requests_waiting, vllm:num_requests_running,
// vllm:kv_cache_usage_perc and its older name vllm:gpu_cache_usage_perc
// (both 0..1, as vLLM reports them despite "perc").
//
// Threading: every method is thread-safe.
#ifndef EDGELLM_RUNTIME_SERVER_METRICS_SERVER_METRICS_H_
#define EDGELLM_RUNTIME_SERVER_METRICS_SERVER_METRICS_H_

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "runtime/engine/edgellm.h"
#include "runtime/server/metrics/prometheus.h"

namespace edgellm::server::metrics {

// Upper bounds of the latency histograms, in seconds: from a fast
// desktop's token (a few ms) to a Pi's long prompt (tens of seconds).
inline constexpr double kTimeToFirstTokenBounds[] = {
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80};
inline constexpr double kTimePerOutputTokenBounds[] = {
    0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5};

// What the scrape reads from the engine (Engine::counters() and info()).
struct EngineGauges {
  bool ready = false;
  int64_t waiting = 0;
  int64_t running = 0;
  double kv_cache_usage = 0;  // 0..1
  double model_load_seconds = 0;
  std::string model_name;
};

// The gauges of `engine` (nullptr while loading: all zero, not ready).
EngineGauges GaugesOf(const Engine* engine, bool serving,
                      absl::string_view model_name);

class ServerMetrics {
 public:
  ServerMetrics();

  // One finished request. `code`: the gRPC status name ("OK",
  // "INVALID_ARGUMENT") or the HTTP status ("200", "429").
  void RecordRequest(absl::string_view protocol, absl::string_view method,
                     absl::string_view code);
  // The timings and token counts of one finished generation.
  void RecordGeneration(const RequestStats& stats);

  // The whole exposition text.
  std::string Render(const EngineGauges& gauges) const;

 private:
  Histogram time_to_first_token_;
  Histogram time_per_output_token_;
  mutable absl::Mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string>, uint64_t>
      requests_ ABSL_GUARDED_BY(mu_);
  uint64_t prompt_tokens_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t generation_tokens_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace edgellm::server::metrics

#endif  // EDGELLM_RUNTIME_SERVER_METRICS_SERVER_METRICS_H_
