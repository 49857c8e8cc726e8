#include "runtime/engine/encoder_engine.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "util/status_macros.h"

namespace edgellm::engine {

using model::EncoderPooling;

EncoderEngine::~EncoderEngine() = default;

absl::StatusOr<std::unique_ptr<EncoderEngine>> EncoderEngine::Load(
    const EncoderEngineOptions& options) {
  if (options.threads < 0 || options.max_tokens <= 0) {
    return absl::InvalidArgumentError(
        "threads must be >= 0 and max_tokens > 0");
  }
  std::unique_ptr<EncoderEngine> e(new EncoderEngine());
  EDGELLM_ASSIGN_OR_RETURN(e->file_, gguf::GgufFile::Open(options.model_path));
  EDGELLM_ASSIGN_OR_RETURN(e->config_, model::ReadEncoderConfig(*e->file_));
  EDGELLM_ASSIGN_OR_RETURN(e->tokenizer_,
                           tokenizer::Tokenizer::FromGguf(*e->file_));
  if (e->tokenizer_->vocab_size() > e->config_.vocab_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("the tokenizer has ", e->tokenizer_->vocab_size(),
                     " tokens but the model only ", e->config_.vocab_size));
  }
  EDGELLM_ASSIGN_OR_RETURN(e->weights_,
                           model::BindEncoderWeights(*e->file_, e->config_));
  EDGELLM_ASSIGN_OR_RETURN(e->pool_, ops::ThreadPool::Create(options.threads));
  model::EncoderOptions eopts;
  eopts.max_tokens = options.max_tokens;
  eopts.release_packed_sources = true;  // file_ is mmapped (GgufFile::Open)
  EDGELLM_ASSIGN_OR_RETURN(
      e->encoder_,
      model::Encoder::Create(e->config_, e->weights_, eopts, e->pool_.get()));
  if (absl::StatusOr<std::string_view> t =
          e->file_->GetString("tokenizer.chat_template.rerank");
      t.ok()) {
    e->rerank_template_ = std::string(*t);
  }
  return e;
}

EncoderPooling EncoderEngine::default_pooling() const {
  return config_.pooling == EncoderPooling::kNone ? EncoderPooling::kMean
                                                  : config_.pooling;
}

std::vector<int32_t> EncoderEngine::TokenizeForEmbedding(
    std::string_view text) const {
  return tokenizer_->Encode(text, {.add_special = true, .parse_special = true});
}

std::vector<int32_t> EncoderEngine::TokenizeRerankPair(
    std::string_view query, std::string_view document) const {
  if (!rerank_template_.empty()) {
    const std::string q(query), d(document);
    const std::string prompt = absl::StrReplaceAll(
        rerank_template_, {{"{query}", q}, {"{document}", d}});
    return tokenizer_->Encode(prompt,
                              {.add_special = false, .parse_special = true});
  }
  const tokenizer::SpecialTokens& sp = tokenizer_->special();
  const int32_t eos = sp.eos != tokenizer::kNoToken ? sp.eos : sp.sep;
  std::vector<int32_t> out;
  if (tokenizer_->add_bos() && sp.bos != tokenizer::kNoToken) {
    out.push_back(sp.bos);
  }
  const std::vector<int32_t> q = tokenizer_->Encode(query, {});
  out.insert(out.end(), q.begin(), q.end());
  if (tokenizer_->add_eos() && eos != tokenizer::kNoToken) out.push_back(eos);
  if (tokenizer_->add_sep() && sp.sep != tokenizer::kNoToken) {
    out.push_back(sp.sep);
  }
  const std::vector<int32_t> d = tokenizer_->Encode(document, {});
  out.insert(out.end(), d.begin(), d.end());
  if (tokenizer_->add_eos() && eos != tokenizer::kNoToken) out.push_back(eos);
  return out;
}

absl::StatusOr<std::vector<std::vector<float>>> EncoderEngine::Run(
    absl::Span<const std::vector<int32_t>> ids, EncoderPooling pooling,
    bool normalize, const std::string& field) {
  if (pooling == EncoderPooling::kNone) {
    return absl::InvalidArgumentError(
        "pooling none gives one vector per token, not per text");
  }
  if (pooling == EncoderPooling::kRank && !can_rank()) {
    return absl::UnimplementedError(absl::StrCat(
        "this ", config_.architecture_name,
        " model has no classifier head (cls.weight / cls.output.weight): it "
        "embeds but cannot rerank"));
  }
  const int32_t limit = max_sequence_tokens();
  std::vector<absl::Span<const int32_t>> spans;
  spans.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string name = absl::StrCat(field, "[", i, "]");
    if (ids[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": no tokens"));
    }
    if (ids[i].size() > static_cast<size_t>(limit)) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, ": ", ids[i].size(), " tokens exceed the limit of ", limit,
          " tokens per text"));
    }
    for (size_t j = 0; j < ids[i].size(); ++j) {
      if (ids[i][j] < 0 || ids[i][j] >= config_.vocab_size) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ": token id ", ids[i][j], " at index ", j,
                         " is outside [0, ", config_.vocab_size, ")"));
      }
    }
    spans.push_back(ids[i]);
  }
  const size_t dims = encoder_->OutputSize(pooling);
  std::vector<float> flat(ids.size() * dims);
  EDGELLM_RETURN_IF_ERROR(encoder_->Encode(
      spans, pooling, normalize && pooling != EncoderPooling::kRank,
      absl::MakeSpan(flat)));
  std::vector<std::vector<float>> out(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    out[i].assign(flat.begin() + i * dims, flat.begin() + (i + 1) * dims);
  }
  return out;
}

absl::StatusOr<EncoderEmbedResult> EncoderEngine::Embed(
    absl::Span<const std::string> texts, const EncoderEmbedOptions& options) {
  EncoderEmbedResult result;
  result.token_ids.reserve(texts.size());
  for (const std::string& t : texts) {
    result.token_ids.push_back(TokenizeForEmbedding(t));
  }
  EDGELLM_ASSIGN_OR_RETURN(
      result.embeddings,
      Run(result.token_ids, options.pooling.value_or(default_pooling()),
          options.normalize, "texts"));
  return result;
}

absl::StatusOr<std::vector<std::vector<float>>> EncoderEngine::EmbedIds(
    absl::Span<const std::vector<int32_t>> ids,
    const EncoderEmbedOptions& options) {
  return Run(ids, options.pooling.value_or(default_pooling()),
             options.normalize, "ids");
}

absl::StatusOr<std::vector<float>> EncoderEngine::Rerank(
    std::string_view query, absl::Span<const std::string> documents) {
  if (query.empty()) return absl::InvalidArgumentError("query: empty");
  if (documents.empty()) {
    return absl::InvalidArgumentError("documents: none given");
  }
  std::vector<std::vector<int32_t>> ids;
  ids.reserve(documents.size());
  for (size_t i = 0; i < documents.size(); ++i) {
    if (documents[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("documents[", i, "]: empty"));
    }
    ids.push_back(TokenizeRerankPair(query, documents[i]));
  }
  absl::StatusOr<std::vector<std::vector<float>>> scores =
      Run(ids, EncoderPooling::kRank, false, "documents");
  if (!scores.ok()) return scores.status();
  std::vector<float> out;
  out.reserve(scores->size());
  for (const std::vector<float>& s : *scores) out.push_back(s[0]);
  return out;
}

absl::StatusOr<std::vector<float>> EncoderEngine::RerankIds(
    absl::Span<const std::vector<int32_t>> ids) {
  absl::StatusOr<std::vector<std::vector<float>>> scores =
      Run(ids, EncoderPooling::kRank, false, "ids");
  if (!scores.ok()) return scores.status();
  std::vector<float> out;
  out.reserve(scores->size());
  for (const std::vector<float>& s : *scores) out.push_back(s[0]);
  return out;
}

}  // namespace edgellm::engine
