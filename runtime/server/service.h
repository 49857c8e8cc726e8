// The gRPC service edgellm.v1.EdgeLlm: a thin adapter from proto requests to
// the engine's requests (runtime/engine/edgellm.h), and from the engine's
// streams back to responses. See proto/edgellm/v1/edgellm.proto for the
// contract.
//
// Readiness, draining, the bearer token (`authorization: Bearer <token>`
// metadata), the log line and the metrics of every call come from the
// Frontend (frontend.h) it shares with the HTTP facade. Exceptions of the
// standard library a handler meets (std::bad_alloc: RESOURCE_EXHAUSTED;
// others INTERNAL) end that call only.
//
// Threading: handlers run on gRPC's threads, many at once; the Frontend and
// the Engine are thread-safe.
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
#include "runtime/server/frontend.h"

namespace edgellm::server {

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
  // `frontend` (not owned) must outlive the service.
  explicit EdgeLlmService(Frontend* frontend);

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
  grpc::Status Rerank(grpc::ServerContext* context,
                      const v1::RerankRequest* request,
                      v1::RerankResponse* response) override;

 private:
  // Streams one submitted generation to the client; fills `record`.
  absl::Status StreamGeneration(
      grpc::ServerContext* context,
      absl::StatusOr<std::shared_ptr<GenerationStream>> stream,
      grpc::ServerWriter<v1::GenerateResponse>* writer, CallRecord& record);
  absl::Status RunGenerate(grpc::ServerContext* context,
                           const v1::GenerateRequest& request,
                           grpc::ServerWriter<v1::GenerateResponse>* writer,
                           CallRecord& record);
  absl::Status RunChat(grpc::ServerContext* context,
                       const v1::ChatRequest& request,
                       grpc::ServerWriter<v1::GenerateResponse>* writer,
                       CallRecord& record);
  // Validates, queues and waits for one Embed request; fills `record`.
  absl::Status RunEmbed(grpc::ServerContext* context,
                        const v1::EmbedRequest& request,
                        v1::EmbedResponse* response, CallRecord& record);
  // The same for one Rerank request.
  absl::Status RunRerank(grpc::ServerContext* context,
                         const v1::RerankRequest& request,
                         v1::RerankResponse* response, CallRecord& record);
  // Begins the call's record, admits it, runs `body` (which returns the
  // call's status), catches what it throws, logs and answers.
  template <typename Body>
  grpc::Status Handle(const char* method, grpc::ServerContext* context,
                      Body&& body);

  Frontend* const frontend_;
};

}  // namespace edgellm::server

#endif  // EDGELLM_RUNTIME_SERVER_SERVICE_H_
