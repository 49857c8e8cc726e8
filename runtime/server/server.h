// `edgellm serve`: loads a model and serves edgellm.v1.EdgeLlm over gRPC,
// with grpc.health.v1.Health and server reflection, until SIGTERM/SIGINT.
//
// Start-up: the port is bound first and "listening on HOST:PORT" is printed
// to stderr (port 0 = chosen by the OS, the real one is printed); health says
// NOT_SERVING while the model loads, then SERVING ("serving MODEL" is
// printed). Shutdown on SIGTERM/SIGINT: health goes NOT_SERVING, new calls
// get UNAVAILABLE, running and queued generations get `grace` to finish and
// are then ended with UNAVAILABLE ("server shutting down"); the process
// returns 0.
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
