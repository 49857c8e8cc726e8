// How the Engine (edgellm.h) serves an encoder-only model: its description
// (ModelInfo) and its Embed and Rerank requests checked and tokenized into
// EncoderScheduler jobs. Internal to the engine.
#ifndef EDGELLM_RUNTIME_ENGINE_ENCODER_REQUESTS_H_
#define EDGELLM_RUNTIME_ENGINE_ENCODER_REQUESTS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/engine/edgellm.h"
#include "runtime/engine/encoder_engine.h"
#include "runtime/engine/encoder_scheduler.h"

namespace edgellm::engine {

// Tokens per forward pass for an encoder served with `options`: the
// context asked for (else the model's, capped at kDefaultContextCap), and
// at least 1024 so that short texts of many requests share a pass.
int32_t EncoderPassTokens(const EngineOptions& options,
                          int32_t trained_context);

// The description of an encoder engine whose texts may have `context`
// tokens.
ModelInfo DescribeEncoder(const EncoderEngine& encoder,
                          const EngineOptions& options, int32_t context);

// UNIMPLEMENTED for Generate and Chat: the model is an encoder.
absl::Status EncoderCannotGenerate(const ModelInfo& info);

// Checks and tokenizes an Embed request (texts the way `edgellm embed`
// and llama.cpp's llama-embedding encode them: [CLS] text [SEP]). Errors
// as Engine::SubmitEmbed's; a reranker asked for its default pooling is
// INVALID_ARGUMENT on "pooling" (its default scores pairs, it does not
// embed).
absl::StatusOr<EncoderJob> PrepareEncoderEmbed(const EncoderEngine& encoder,
                                               EmbedRequest request,
                                               int32_t context);

// Checks and tokenizes a Rerank request (EncoderEngine::TokenizeRerankPair
// for each document). Errors as Engine::SubmitRerank's.
absl::StatusOr<EncoderJob> PrepareRerank(const EncoderEngine& encoder,
                                         const RerankRequest& request,
                                         int32_t context);

// The RerankRequest checks that need no model (counts and empty strings),
// shared by every engine so a decoder's refusal is UNIMPLEMENTED only for
// a well-formed request.
absl::Status ValidateRerankShape(const RerankRequest& request);

}  // namespace edgellm::engine

#endif  // EDGELLM_RUNTIME_ENGINE_ENCODER_REQUESTS_H_
