// The gRPC service edgellm.v1.EdgeLlm: a thin adapter from proto requests to
// the engine and the scheduler, and from scheduler events back to streamed
// responses. See proto/edgellm/v1/edgellm.proto for the contract.
//
// The service can be registered before the model is loaded: until
// SetBackend() every call answers UNAVAILABLE ("model loading"), so the
// server can listen (and report NOT_SERVING through grpc.health.v1) while it
// loads. After StartDraining() new calls answer UNAVAILABLE; calls already
// running finish through the scheduler.
//
// Every call checks `authorization: Bearer <token>` when a token is set
// (UNAUTHENTICATED otherwise) and logs one line to stderr when it ends:
// id, method, peer, status, finish reason, token counts and timings.
//
// Embed encodes the texts on the handler's thread and hands them to the
// scheduler, which runs them on its own KV slot between decode steps.
//
// Threading: handlers run on gRPC's threads, many at once. The engine's
// tokenizer and config are immutable and shared; only the scheduler thread
// touches the transformer.
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
#include "runtime/engine/engine.h"
#include "runtime/server/chat_template.h"
#include "runtime/server/scheduler.h"

namespace edgellm::server {

struct ServiceOptions {
  // Required bearer token; empty disables the check.
  std::string auth_token;
  // max_tokens when a request leaves it 0.
  int32_t default_max_tokens = 128;
  // Overrides the chat template family detected from the model file.
  std::optional<ChatTemplateFamily> chat_template;
  // Reported by GetModelInfo.
  int32_t parallel = 1;
  int32_t queue = 0;
  // One log line per call to stderr.
  bool log_requests = true;
};

// Maps a status to gRPC's (the code values are the same).
grpc::Status ToGrpcStatus(const absl::Status& status);

// Builds engine options from a request's sampling and limits, applying the
// proto's documented defaults. INVALID_ARGUMENT names the field for values
// the engine's own validation does not cover (stop strings, max_tokens).
absl::StatusOr<engine::GenerateOptions> ToGenerateOptions(
    const v1::SamplingParams& sampling, const v1::GenerationLimits& limits,
    int32_t default_max_tokens);

class EdgeLlmService final : public v1::EdgeLlm::Service {
 public:
  explicit EdgeLlmService(ServiceOptions options);

  // Makes the service answer with this model. Both must outlive the service
  // and are set once.
  void SetBackend(engine::Engine* engine, Scheduler* scheduler);
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
  // Submits and streams one generation; fills `log`.
  absl::Status RunGeneration(grpc::ServerContext* context,
                             std::vector<int32_t> prompt_ids,
                             const engine::GenerateOptions& options,
                             grpc::ServerWriter<v1::GenerateResponse>* writer,
                             CallLog& log);
  // Validates, queues and waits for one Embed request; fills `log`.
  absl::Status RunEmbed(grpc::ServerContext* context,
                        const v1::EmbedRequest& request,
                        v1::EmbedResponse* response, CallLog& log);
  grpc::Status Finish(CallLog& log, const absl::Status& status);

  const ServiceOptions options_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> next_call_id_{1};
  std::atomic<int> in_flight_{0};
  engine::Engine* engine_ = nullptr;  // set once before ready_
  Scheduler* scheduler_ = nullptr;    // set once before ready_
  absl::StatusOr<ChatTemplateFamily> chat_family_ =
      absl::FailedPreconditionError("model loading");
  std::optional<std::string> default_system_prompt_;
  std::string bos_text_;
};

}  // namespace edgellm::server

#endif  // EDGELLM_RUNTIME_SERVER_SERVICE_H_
