#include "runtime/engine/encoder_requests.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/engine/embedding.h"
#include "runtime/model/transformer.h"
#include "runtime/model/weight_stats.h"
#include "util/status_macros.h"

namespace edgellm::engine {
namespace {

using model::EncoderPooling;

std::string_view TokenizerName(tokenizer::TokenizerKind kind) {
  switch (kind) {
    case tokenizer::TokenizerKind::kSpm:
      return "spm";
    case tokenizer::TokenizerKind::kBpe:
      return "bpe";
    case tokenizer::TokenizerKind::kWordPiece:
      return "wordpiece";
    case tokenizer::TokenizerKind::kLlama2c:
      return "llama2c";
  }
  return "unknown";
}

// The encoder's pooling for an Embed request's, and the one reported back.
absl::StatusOr<std::pair<EncoderPooling, Pooling>> ChoosePooling(
    const EncoderEngine& encoder, Pooling asked) {
  switch (asked) {
    case Pooling::kMean:
      return std::make_pair(EncoderPooling::kMean, Pooling::kMean);
    case Pooling::kCls:
      return std::make_pair(EncoderPooling::kCls, Pooling::kCls);
    case Pooling::kLastToken:
      return std::make_pair(EncoderPooling::kLast, Pooling::kLastToken);
    case Pooling::kDefault:
      break;
  }
  switch (encoder.default_pooling()) {
    case EncoderPooling::kCls:
      return std::make_pair(EncoderPooling::kCls, Pooling::kCls);
    case EncoderPooling::kLast:
      return std::make_pair(EncoderPooling::kLast, Pooling::kLastToken);
    case EncoderPooling::kRank:
      return absl::InvalidArgumentError(absl::StrCat(
          "pooling: this ", encoder.config().architecture_name,
          " model is a reranker (pooling_type rank): its own output scores "
          "query and document pairs (Rerank); name a pooling (mean, cls or "
          "last) to embed with its hidden states"));
    default:
      return std::make_pair(EncoderPooling::kMean, Pooling::kMean);
  }
}

}  // namespace

int32_t EncoderPassTokens(const EngineOptions& options,
                          int32_t trained_context) {
  const int32_t context =
      options.context > 0
          ? options.context
          : std::min(trained_context, model::kDefaultContextCap);
  return std::max(context, 1024);
}

ModelInfo DescribeEncoder(const EncoderEngine& encoder,
                          const EngineOptions& options, int32_t context) {
  const model::EncoderConfig& c = encoder.config();
  ModelInfo info;
  info.architecture = c.architecture_name;
  info.name = c.name;
  info.context_length = context;
  info.trained_context_length = c.context_length;
  info.vocab_size = c.vocab_size;
  info.embedding_length = c.embedding_length;
  info.layers = c.block_count;
  info.heads = c.head_count;
  info.kv_heads = c.head_count_kv;
  info.quantization = model::WeightTypeMix(encoder.file());
  // A forward pass reads every weight once, however many texts it packs.
  info.weight_bytes_per_token =
      static_cast<int64_t>(model::WeightBytesPerToken(encoder.file()));
  info.model_bytes = static_cast<int64_t>(encoder.file().file_size());
  info.kv_cache_bytes = 0;  // bidirectional: nothing is cached
  info.tokenizer = std::string(TokenizerName(encoder.tokenizer().kind()));
  info.chat_template_error = absl::StrCat(
      "this ", c.architecture_name,
      " model is an encoder (embeddings and reranking): it has no chat");
  info.parallel = 1;  // one forward pass at a time, packing many texts
  info.queue = options.queue;
  info.generates = false;
  info.reranks = encoder.can_rank();
  info.embeddings = true;
  info.pooling =
      std::string(model::EncoderPoolingName(encoder.default_pooling()));
  return info;
}

absl::Status EncoderCannotGenerate(const ModelInfo& info) {
  return absl::UnimplementedError(absl::StrCat(
      "this ", info.architecture, " model is an encoder-only model: it embeds",
      info.reranks ? " and reranks" : "",
      " but cannot generate text (no causal language-model head); use ",
      info.reranks ? "Rerank" : "Embed",
      ", or serve a decoder model for Generate and Chat"));
}

absl::StatusOr<EncoderJob> PrepareEncoderEmbed(const EncoderEngine& encoder,
                                               EmbedRequest request,
                                               int32_t context) {
  EncoderJob job;
  EDGELLM_ASSIGN_OR_RETURN(auto pooling,
                           ChoosePooling(encoder, request.options.pooling));
  job.pooling = pooling.first;
  job.reported_pooling = pooling.second;
  job.normalize = request.options.normalize;
  job.deadline = request.deadline;
  const int32_t vocab = encoder.config().vocab_size;
  if (request.texts.empty()) {
    EDGELLM_RETURN_IF_ERROR(
        ValidateEmbedRequest(request.token_ids, vocab, context, "token_ids"));
    job.ids = std::move(request.token_ids);
    return job;
  }
  if (!request.token_ids.empty()) {
    return absl::InvalidArgumentError(
        "texts: give texts or token_ids, not both");
  }
  // Counted before anything is encoded.
  if (request.texts.size() > size_t{RequestLimits::kMaxEmbedTexts}) {
    return absl::InvalidArgumentError(
        absl::StrCat("texts: ", request.texts.size(), " texts; at most ",
                     RequestLimits::kMaxEmbedTexts, " per request"));
  }
  for (size_t i = 0; i < request.texts.size(); ++i) {
    if (request.texts[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("texts[", i, "]: empty"));
    }
  }
  job.ids.reserve(request.texts.size());
  for (const std::string& text : request.texts) {
    job.ids.push_back(encoder.TokenizeForEmbedding(text));
  }
  EDGELLM_RETURN_IF_ERROR(
      ValidateEmbedRequest(job.ids, vocab, context, "texts"));
  return job;
}

absl::Status ValidateRerankShape(const RerankRequest& request) {
  if (request.query.empty()) {
    return absl::InvalidArgumentError("query: empty");
  }
  if (request.documents.empty()) {
    return absl::InvalidArgumentError(
        "documents: empty; give at least one document");
  }
  if (request.documents.size() > size_t{RequestLimits::kMaxRerankDocuments}) {
    return absl::InvalidArgumentError(absl::StrCat(
        "documents: ", request.documents.size(), " documents; at most ",
        RequestLimits::kMaxRerankDocuments, " per request"));
  }
  for (size_t i = 0; i < request.documents.size(); ++i) {
    if (request.documents[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("documents[", i, "]: empty"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<EncoderJob> PrepareRerank(const EncoderEngine& encoder,
                                         const RerankRequest& request,
                                         int32_t context) {
  if (!encoder.can_rank()) {
    return absl::UnimplementedError(absl::StrCat(
        "this ", encoder.config().architecture_name,
        " model has no classifier head (cls.weight / cls.output.weight): it "
        "embeds but cannot rerank; serve a cross-encoder reranker"));
  }
  EDGELLM_RETURN_IF_ERROR(ValidateRerankShape(request));
  // The query alone first: past the context, every pair would be, and
  // tokenizing it once per document would be wasted.
  const size_t query_tokens =
      encoder.tokenizer().Encode(request.query, {}).size();
  if (query_tokens >= static_cast<size_t>(context)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query: ", query_tokens, " tokens; with a document it must fit in ",
        context, " tokens"));
  }
  EncoderJob job;
  job.pooling = EncoderPooling::kRank;
  job.deadline = request.deadline;
  job.ids.reserve(request.documents.size());
  int64_t total = 0;
  for (size_t i = 0; i < request.documents.size(); ++i) {
    job.ids.push_back(
        encoder.TokenizeRerankPair(request.query, request.documents[i]));
    const size_t n = job.ids.back().size();
    if (n > static_cast<size_t>(context)) {
      return absl::InvalidArgumentError(
          absl::StrCat("documents[", i, "]: the query and this document are ",
                       n, " tokens; at most ", context, " per pair"));
    }
    total += static_cast<int64_t>(n);
    if (total > RequestLimits::kMaxEmbedTokens) {
      return absl::InvalidArgumentError(absl::StrCat(
          "documents: more than ", RequestLimits::kMaxEmbedTokens,
          " tokens over all query and document pairs (at documents[", i, "])"));
    }
  }
  return job;
}

}  // namespace edgellm::engine
