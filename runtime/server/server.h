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
#ifndef EDGELLM_RUNTIME_SERVER_SERVER_H_
#define EDGELLM_RUNTIME_SERVER_SERVER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "runtime/engine/engine.h"
#include "runtime/server/chat_template.h"

namespace edgellm::server {

struct ServerOptions {
  engine::EngineOptions engine;  // model path, threads, context, batch
  std::string listen = "127.0.0.1:50051";
  int32_t parallel = 4;  // sequences decoded together
  int32_t queue = 16;    // requests waiting beyond `parallel`
  int32_t default_max_tokens = 128;
  // TLS: both set, or neither (plaintext).
  std::string tls_cert_file;
  std::string tls_key_file;
  // File whose first line is the bearer token clients must send; empty
  // disables the check.
  std::string auth_token_file;
  absl::Duration grace = absl::Seconds(10);
  std::optional<ChatTemplateFamily> chat_template;
  // Testing aid: sleep this long after every forward pass, so tests of
  // cancellation, deadlines and draining can run on a tiny, fast model.
  absl::Duration debug_step_delay = absl::ZeroDuration();
};

// Runs the server until a signal; returns the process exit code (0 after a
// clean shutdown, 1 if the server or the model failed to start).
int RunServer(const ServerOptions& options);

}  // namespace edgellm::server

#endif  // EDGELLM_RUNTIME_SERVER_SERVER_H_
