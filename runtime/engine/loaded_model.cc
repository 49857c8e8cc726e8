#include "runtime/engine/loaded_model.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/model/encoder_config.h"
#include "runtime/model/weights.h"
#include "util/status_macros.h"

namespace edgellm::engine {

double SequenceResult::prompt_tokens_per_second() const {
  const double s = absl::ToDoubleSeconds(stats.prompt_time);
  return s > 0 ? stats.prompt_tokens / s : 0.0;
}

double SequenceResult::generated_tokens_per_second() const {
  const double s = absl::ToDoubleSeconds(stats.decode_time);
  return s > 0 && stats.generated_tokens > 1 ? (stats.generated_tokens - 1) / s
                                             : 0.0;
}

LoadedModel::~LoadedModel() = default;

absl::StatusOr<std::unique_ptr<LoadedModel>> LoadedModel::Load(
    const LoadOptions& options) {
  const absl::Time start = absl::Now();
  if (options.threads < 0 || options.context < 0 || options.slots <= 0 ||
      options.max_batch <= 0) {
    return absl::InvalidArgumentError(
        "threads and context must be >= 0, slots and max_batch > 0");
  }
  std::unique_ptr<LoadedModel> e(new LoadedModel());
  EDGELLM_ASSIGN_OR_RETURN(e->file_, gguf::GgufFile::Open(options.model_path));
  if (absl::StatusOr<std::string_view> arch =
          e->file_->GetString("general.architecture");
      arch.ok() && model::IsEncoderArchitecture(*arch)) {
    return absl::UnimplementedError(absl::StrCat(
        options.model_path, ": '", std::string(*arch),
        "' is an encoder-only model (embeddings and reranking): it cannot "
        "generate text. Load it with EncoderEngine (runtime/engine/"
        "encoder_engine.h), or use `edgellm embed` / `edgellm rerank`"));
  }
  EDGELLM_ASSIGN_OR_RETURN(e->config_, model::ReadModelConfig(*e->file_));
  EDGELLM_ASSIGN_OR_RETURN(e->tokenizer_,
                           tokenizer::Tokenizer::FromGguf(*e->file_));
  if (e->tokenizer_->vocab_size() > e->config_.vocab_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("the tokenizer has ", e->tokenizer_->vocab_size(),
                     " tokens but the model only ", e->config_.vocab_size));
  }
  EDGELLM_ASSIGN_OR_RETURN(model::ModelWeights weights,
                           model::BindWeights(*e->file_, e->config_));
  EDGELLM_ASSIGN_OR_RETURN(e->pool_, ops::ThreadPool::Create(options.threads));
  model::TransformerOptions topts;
  topts.context = options.context;
  topts.slots = options.slots;
  topts.max_batch = options.max_batch;
  topts.kv_type = options.kv_type;
  topts.paging = options.paging;
  topts.release_packed_sources = true;  // file_ is mmapped (GgufFile::Open)
  EDGELLM_ASSIGN_OR_RETURN(
      e->transformer_,
      model::Transformer::Create(e->config_, weights, topts, e->pool_.get()));
  e->batch_.reserve(options.max_batch);
  e->logits_.resize(e->config_.vocab_size);
  e->embedding_ = std::make_unique<EmbeddingPass>(e->config_.embedding_length,
                                                  options.max_batch);
  e->hidden_.resize(e->embedding_->hidden_floats());
  absl::StatusOr<int64_t> pooling = e->file_->GetInt(
      absl::StrCat(e->config_.architecture_name, ".pooling_type"));
  if (pooling.ok()) e->default_pooling_ = PoolingFromGgufValue(*pooling);
  e->load_time_ = absl::Now() - start;
  return e;
}

std::vector<int32_t> LoadedModel::Encode(const std::string& text,
                                         bool parse_special) const {
  tokenizer::EncodeOptions options;
  options.add_special = true;
  options.parse_special = parse_special;
  return tokenizer_->Encode(text, options);
}

absl::StatusOr<SequenceResult> LoadedModel::Generate(
    const std::string& prompt, const GenerateOptions& options,
    TokenCallback callback) {
  return GenerateFromIds(Encode(prompt), options, std::move(callback));
}

absl::StatusOr<SequenceResult> LoadedModel::GenerateFromIds(
    std::vector<int32_t> prompt_ids, const GenerateOptions& options,
    TokenCallback callback) {
  EDGELLM_ASSIGN_OR_RETURN(
      std::unique_ptr<Sequence> seq,
      Sequence::Create(*tokenizer_, config_.vocab_size, context(), /*slot=*/0,
                       std::move(prompt_ids), options, std::move(callback)));
  EDGELLM_RETURN_IF_ERROR(RunToCompletion(*seq));
  SequenceResult result;
  result.prompt_ids = seq->prompt_ids();
  result.output_ids = seq->output_ids();
  result.text = seq->text();
  result.finish_reason = seq->finish_reason();
  result.stats = seq->stats();
  return result;
}

absl::StatusOr<std::vector<float>> LoadedModel::Embed(
    const std::string& text, const EmbedOptions& options) {
  if (text.empty()) return absl::InvalidArgumentError("text: empty");
  const std::vector<int32_t> ids = Encode(text);
  EDGELLM_RETURN_IF_ERROR(
      ValidateEmbedIds(ids, config_.vocab_size, context(), "text"));
  return EmbedIds(ids, options);
}

absl::StatusOr<std::vector<float>> LoadedModel::EmbedIds(
    absl::Span<const int32_t> ids, const EmbedOptions& options) {
  EDGELLM_RETURN_IF_ERROR(
      ValidateEmbedIds(ids, config_.vocab_size, context(), "ids"));
  EmbedOptions resolved = options;
  if (resolved.pooling == Pooling::kDefault)
    resolved.pooling = default_pooling_;
  embedding_->Start(ids, /*slot=*/0, resolved);
  while (!embedding_->done()) {
    EDGELLM_RETURN_IF_ERROR(
        transformer_->ForwardHidden(embedding_->NextBatch(), hidden_.data()));
    embedding_->Consume(hidden_.data());
  }
  return embedding_->Result();
}

absl::Status LoadedModel::RunToCompletion(Sequence& seq) {
  while (!seq.finished()) {
    const absl::Span<const int32_t> tokens =
        seq.NextTokens(transformer_->max_batch());
    batch_.clear();
    for (size_t i = 0; i < tokens.size(); ++i) {
      model::BatchToken t;
      t.token = tokens[i];
      t.pos = seq.pos() + static_cast<int32_t>(i);
      t.slot = seq.slot();
      t.want_logits = i + 1 == tokens.size();
      batch_.push_back(t);
    }
    absl::Status s = transformer_->Forward(batch_, logits_.data());
    if (!s.ok()) {
      seq.Cancel();
      return s;
    }
    seq.MarkFed(static_cast<int32_t>(tokens.size()));
    if (!seq.prefilling()) seq.OnLogits(logits_.data());
  }
  return absl::OkStatus();
}

}  // namespace edgellm::engine
