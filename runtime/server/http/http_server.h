// The OpenAI-compatible HTTP facade of `edgellm serve` (--http-listen), and
// the metrics endpoint (--metrics-listen or the same port): a thin adapter
// over the Frontend (../frontend.h) and so over the one Engine the gRPC
// service uses, with its bearer token, limits, log line and metrics.
//
//   POST /v1/chat/completions, /v1/completions   (stream: server-sent events)
//   POST /v1/embeddings
//   POST /v1/rerank  (Jina / Cohere shape: rerank_api.h)
//   GET  /v1/models, /v1/models/{id}
//   GET  /health     200 {"status": "ok"} serving; 503 loading / draining
//   GET  /metrics    Prometheus text format 0.0.4 (metrics/server_metrics.h)
//
// The /v1 routes need `Authorization: Bearer <token>` when the server has a
// token; /health and /metrics do not (probes and scrapers, and they tell
// nothing of the requests). Errors are OpenAI's `{"error": {...}}` with the
// HTTP status of openai_response.h; an unknown route or model is 404.
// A client that disconnects cancels its generation or embedding
// (peer_connection.h), streamed or not.
//
// Threading: requests run on the server's own pool of threads, one per
// connection; Start() returns once the port is bound.
#ifndef EDGELLM_RUNTIME_SERVER_HTTP_HTTP_SERVER_H_
#define EDGELLM_RUNTIME_SERVER_HTTP_HTTP_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "runtime/server/frontend.h"
#include "runtime/server/metrics/server_metrics.h"

namespace httplib {
class Server;
}

namespace edgellm::server::http {

struct HttpOptions {
  std::string listen;   // HOST:PORT; port 0 = chosen by the OS
  bool api = true;      // the /v1 routes
  bool metrics = true;  // GET /metrics
  // Connections served at once (each streamed generation holds one).
  int threads = 8;
  // TLS: both set = HTTPS with this PEM certificate chain and key.
  std::string tls_cert_file;
  std::string tls_key_file;
};

class HttpServer {
 public:
  // Binds and starts serving. `frontend` and `metrics` (not owned) must
  // outlive the server.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const HttpOptions& options, Frontend* frontend,
      metrics::ServerMetrics* metrics);
  ~HttpServer();  // Stop()

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  // Stops listening, waits for the connections' threads. Idempotent.
  void Stop();

 private:
  HttpServer() = default;
  void Route(const HttpOptions& options);

  Frontend* frontend_ = nullptr;
  metrics::ServerMetrics* metrics_ = nullptr;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
};

}  // namespace edgellm::server::http

#endif  // EDGELLM_RUNTIME_SERVER_HTTP_HTTP_SERVER_H_
