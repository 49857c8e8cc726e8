// The gRPC service edgellm.v1.EdgeLlm: a thin adapter from proto requests to
// the engine's requests (runtime/engine/edgellm.h), and from the engine's
// streams back to responses. See proto/edgellm/v1/edgellm.proto for the
// contract.
//
// The service can be registered before the model is loaded: until
// SetEngine() every call answers UNAVAILABLE ("model loading"), so the
// server can listen (and report NOT_SERVING through grpc.health.v1) while it
// loads. After StartDraining() new calls answer UNAVAILABLE; calls already
// running finish through the engine.
//
// Every call checks `authorization: Bearer <token>` when a token is set
// (UNAUTHENTICATED otherwise) and logs one line to stderr when it ends:
// id, method, peer, status, finish reason, token counts and timings — also
// for calls that fail, and for exceptions of the standard library a handler
// meets (std::bad_alloc: RESOURCE_EXHAUSTED; others INTERNAL), which end
// that call only.
//
// Threading: handlers run on gRPC's threads, many at once; the Engine is
// thread-safe.
#ifndef EDGELLM_RUNTIME_SERVER_SERVICE_H_
#define EDGELLM_RUNTIME_SERVER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edgellm/v1/edgellm.grpc.pb.h"
#include "runtime/engine/edgellm.h"

namespace edgellm::server {

struct ServiceOptions {
  // Required bearer token; empty disables the check.
  std::string auth_token;
  // max_tokens when a request leaves it 0.
  int32_t default_max_tokens = 128;
  // One log line per call to stderr.
  bool log_requests = true;
};

// Maps a status to gRPC's (the code values are the same).
grpc::Status ToGrpcStatus(const absl::Status& status);

// Builds engine options from a request's sampling and limits, applying the
// proto's documented defaults. INVALID_ARGUMENT names the field for values
// the engine's own validation does not cover (a negative top_k or
// max_tokens); the engine checks the rest when the request is submitted.
absl::StatusOr<GenerateOptions> ToGenerateOptions(
    const v1::SamplingParams& sampling, const v1::GenerationLimits& limits,
    int32_t default_max_tokens);

class EdgeLlmService final : public v1::EdgeLlm::Service {
 public:
  explicit EdgeLlmService(ServiceOptions options);

  // Makes the service answer with this engine, which must outlive the
  // service. Set once.
  void SetEngine(Engine* engine);
  // New calls get UNAVAILABLE from now on.
  void StartDraining() { draining_.store(true); }
  // Waits until no handler runs (or `timeout` passes); true if idle. Used at
  // shutdown so no call is cut off while writing its last message.
  bool WaitIdle(absl::Duration timeout) const;

  grpc::Status Generate(
      grpc::ServerContext* context, const v1::GenerateRequest* request,
      grpc::ServerWriter<v1::GenerateResponse>* writer) override;
  grpc::Status Chat(grpc::ServerContext* context,
                    const v1::ChatRequest* request,
                    grpc::ServerWriter<v1::GenerateResponse>* writer) override;
  grpc::Status Embed(grpc::ServerContext* context,
                     const v1::EmbedRequest* request,
                     v1::EmbedResponse* response) override;
  grpc::Status Tokenize(grpc::ServerContext* context,
                        const v1::TokenizeRequest* request,
                        v1::TokenizeResponse* response) override;
  grpc::Status Detokenize(grpc::ServerContext* context,
                          const v1::DetokenizeRequest* request,
                          v1::DetokenizeResponse* response) override;
  grpc::Status GetModelInfo(grpc::ServerContext* context,
                            const v1::GetModelInfoRequest* request,
                            v1::ModelInfo* response) override;

 private:
  struct CallLog;
  class InFlight;

  // Auth, readiness and draining checks shared by every call.
  absl::Status Admit(grpc::ServerContext* context) const;
  // Starts every handler: fills the call's log entry (id, method, peer),
  // then Admit.
  absl::Status BeginCall(const char* method, grpc::ServerContext* context,
                         CallLog* log);
  // Streams one submitted generation to the client; fills `log`.
  absl::Status StreamGeneration(
      grpc::ServerContext* context,
      absl::StatusOr<std::shared_ptr<GenerationStream>> stream,
      grpc::ServerWriter<v1::GenerateResponse>* writer, CallLog& log);
  absl::Status RunGenerate(grpc::ServerContext* context,
                           const v1::GenerateRequest& request,
                           grpc::ServerWriter<v1::GenerateResponse>* writer,
                           CallLog& log);
  absl::Status RunChat(grpc::ServerContext* context,
                       const v1::ChatRequest& request,
                       grpc::ServerWriter<v1::GenerateResponse>* writer,
                       CallLog& log);
  // Validates, queues and waits for one Embed request; fills `log`.
  absl::Status RunEmbed(grpc::ServerContext* context,
                        const v1::EmbedRequest& request,
                        v1::EmbedResponse* response, CallLog& log);
  // Runs `body` (which returns the call's status) after BeginCall, catches
  // what it throws, logs and answers.
  template <typename Body>
  grpc::Status Handle(const char* method, grpc::ServerContext* context,
                      Body&& body);
  grpc::Status Finish(CallLog& log, const absl::Status& status);

  const ServiceOptions options_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> next_call_id_{1};
  std::atomic<int> in_flight_{0};
  Engine* engine_ = nullptr;  // set once before ready_
};

}  // namespace edgellm::server

#endif  // EDGELLM_RUNTIME_SERVER_SERVICE_H_
