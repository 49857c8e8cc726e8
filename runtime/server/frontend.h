// What the gRPC service (service.h) and the HTTP facade (http/) share over
// one Engine: readiness and draining, the bearer token, the one log line
// per request, the request metrics, and reading a generation's stream or an
// embedding's result while watching for a client that left. Each protocol
// adapter keeps only its wire format.
//
// The frontend exists before the model is loaded: until SetEngine() every
// request is refused UNAVAILABLE ("model loading"), and after
// StartDraining() with UNAVAILABLE ("shutting down"); requests already
// running finish through the engine.
//
// Log line (stderr), one per request when it ends, also for failures:
//   request ID METHOD peer=PEER status=CODE [finish=... tokens,
//   timings] [detail] total_ms=... [error="..."]
//
// Threading: every method is thread-safe; request handlers of both
// protocols call it from their own threads.
#ifndef EDGELLM_RUNTIME_SERVER_FRONTEND_H_
#define EDGELLM_RUNTIME_SERVER_FRONTEND_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runtime/engine/edgellm.h"
#include "runtime/server/metrics/server_metrics.h"

namespace edgellm::server {

struct FrontendOptions {
  // Required bearer token; empty disables the check.
  std::string auth_token;
  // max_tokens when a request leaves it unset.
  int32_t default_max_tokens = 128;
  // One log line per request to stderr.
  bool log_requests = true;
  // The name clients use for the model (OpenAI's "model"; metrics label).
  std::string model_name;
};

// One request's record: what its log line and metrics say.
struct CallRecord {
  uint64_t id = 0;
  std::string protocol;  // "grpc" or "http"
  // "Generate" (gRPC), "POST /v1/chat/completions" (HTTP), ...
  std::string method;
  std::string peer;
  absl::Time start = absl::Now();
  bool has_stats = false;  // a generation: finish and stats are set
  FinishReason finish = FinishReason::kNone;
  RequestStats stats;
  std::string detail;  // appended to the line (" texts=2 tokens=9 ...")
};

// Returns true once the client has gone (its call cancelled, its
// connection closed).
using ClientGone = std::function<bool()>;

class Frontend {
 public:
  // `metrics` (not owned, may be null) must outlive the frontend.
  Frontend(FrontendOptions options, metrics::ServerMetrics* metrics);

  const FrontendOptions& options() const { return options_; }
  metrics::ServerMetrics* metrics() const { return metrics_; }

  // Serves with this engine from now on (it must outlive the frontend).
  // Set once.
  void SetEngine(Engine* engine);
  // New requests are refused from now on.
  void StartDraining() { draining_.store(true); }
  // The engine, or nullptr while loading.
  Engine* engine() const;
  bool serving() const { return engine() != nullptr && !draining_.load(); }
  bool draining() const { return draining_.load(); }
  // When SetEngine() was called (the Unix epoch before).
  absl::Time serving_since() const {
    return absl::FromUnixSeconds(serving_since_.load());
  }

  // UNAUTHENTICATED unless `authorization` (the header or metadata value,
  // nullopt when absent) is "Bearer <token>"; OK when no token is set.
  absl::Status CheckToken(std::optional<absl::string_view> authorization) const;
  // CheckToken, then UNAVAILABLE while loading or draining.
  absl::Status Admit(std::optional<absl::string_view> authorization) const;

  // A new request's record (id, protocol, method, peer, start time). The
  // request counts as in flight until its Finish().
  CallRecord Begin(absl::string_view protocol, absl::string_view method,
                   std::string peer);
  // Writes the log line and records the metrics of a finished request.
  // `code` is the protocol's status as the metrics label it ("OK", "429").
  void Finish(const CallRecord& record, const absl::Status& status,
              absl::string_view code);
  // Waits until every begun request has finished (or `timeout` passes);
  // true if idle. Used at shutdown so no reply is cut off.
  bool WaitIdle(absl::Duration timeout) const;

  // Reads `stream` to its final event, which it returns. Calls `on_token`
  // for each token event while the client is there (false = it left);
  // checks `client_gone` every kClientPoll. Once the client
  // has gone the stream is cancelled and read to its end. Fills `record`.
  static StreamEvent ReadGeneration(
      GenerationStream& stream,
      const std::function<bool(StreamEvent& token)>& on_token,
      const ClientGone& client_gone, CallRecord& record);
  // Waits for the result of `call` (of `texts` texts), cancelling it when
  // the client goes. Fills `record`'s detail (texts, tokens, pooling, queue
  // time).
  static EmbedResult WaitEmbedding(EmbedCall& call, int texts,
                                   const ClientGone& client_gone,
                                   CallRecord& record);

  // How often a waiting request checks whether its client left.
  static constexpr absl::Duration kClientPoll = absl::Milliseconds(10);

 private:
  const FrontendOptions options_;
  metrics::ServerMetrics* const metrics_;
  std::atomic<Engine*> engine_{nullptr};
  std::atomic<bool> draining_{false};
  std::atomic<int64_t> serving_since_{0};  // Unix seconds
  std::atomic<uint64_t> next_id_{1};
  std::atomic<int> in_flight_{0};
};

}  // namespace edgellm::server

#endif  // EDGELLM_RUNTIME_SERVER_FRONTEND_H_
