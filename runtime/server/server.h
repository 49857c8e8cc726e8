// `edgellm serve`: loads a model and serves edgellm.v1.EdgeLlm over gRPC,
// with grpc.health.v1.Health and server reflection, until SIGTERM/SIGINT.
//
// Start-up: threads default to the CPUs the process may use (affinity and
// cgroup cpu.max); the model and KV cache the engine will hold are checked
// against the memory it may use (cgroup memory.max, else MemAvailable), and
// the server refuses to start (exit 1) rather than be killed later. Then
// the ports are bound and "listening on HOST:PORT" (gRPC), "http listening
// on HOST:PORT" and "metrics listening on HOST:PORT" are printed to stderr
// (port 0 = chosen by the OS, the real one is printed); health says
// NOT_SERVING (grpc.health.v1, overall and for edgellm.v1.EdgeLlm; HTTP
// /health 503) while the model loads, then SERVING ("serving MODEL" is
// printed). gRPC and HTTP serve the same engine. Shutdown on SIGTERM/SIGINT:
// health goes NOT_SERVING, new calls get UNAVAILABLE, running and queued
// generations get `grace` to finish and are then ended with UNAVAILABLE
// ("server shutting down"); the process returns 0.
//
// The engine (runtime/engine/edgellm.h) keeps one KV slot beyond `parallel`
// for Embed requests, so embeddings never wait for a generation slot (it
// costs one context's worth of KV memory, included in
// ModelInfo.kv_cache_bytes).
//
// A second SIGTERM/SIGINT during the drain ends the process at once (exit
// code 1), for an operator who does not want to wait for the grace period.
#ifndef EDGELLM_RUNTIME_SERVER_SERVER_H_
#define EDGELLM_RUNTIME_SERVER_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/engine/edgellm.h"

namespace edgellm::server {

struct ServerOptions {
  // Model path, threads, context, batch, parallel, queue, chat template.
  EngineOptions engine = {.parallel = 4, .queue = 16};
  std::string listen = "127.0.0.1:50051";
  int32_t default_max_tokens = 128;
  // TLS: both set, or neither (plaintext).
  std::string tls_cert_file;
  std::string tls_key_file;
  // File whose first line is the bearer token clients must send; empty
  // disables the check.
  std::string auth_token_file;
  absl::Duration grace = absl::Seconds(10);
  // The OpenAI-compatible HTTP API (http/http_server.h) on this address;
  // empty = none. Serves /metrics and /health too, unless metrics_listen
  // is set.
  std::string http_listen;
  // GET /metrics (and /health) on an address of their own; empty = on the
  // HTTP port, if any.
  std::string metrics_listen;
  // The model's name in the OpenAI API and the metrics; empty = the model
  // file's name without ".gguf".
  std::string model_name;
  // Refuse to start when the model and KV cache need more memory than the
  // process may use (cgroup memory.max, else MemAvailable).
  bool memory_check = true;
  // Where /proc and /sys/fs/cgroup are read from (container_limits.h).
  std::string system_root = "/";
};

// Loads the engine the server serves: Engine::Load, or a test double.
using EngineLoader = std::function<absl::StatusOr<std::unique_ptr<Engine>>(
    const EngineOptions&)>;

// Runs the server until a signal; returns the process exit code (0 after a
// clean shutdown, 1 if the server or the model failed to start, or a second
// signal cut the drain short). `load` defaults to Engine::Load.
int RunServer(const ServerOptions& options, const EngineLoader& load = nullptr);

}  // namespace edgellm::server

#endif  // EDGELLM_RUNTIME_SERVER_SERVER_H_
