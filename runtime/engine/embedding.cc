#include "runtime/engine/embedding.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace edgellm::engine {

Pooling PoolingFromGgufValue(int64_t value) {
  // llama.h: LLAMA_POOLING_TYPE_MEAN = 1, _CLS = 2, _LAST = 3.
  switch (value) {
    case 2:
      return Pooling::kCls;
    case 3:
      return Pooling::kLastToken;
    default:
      return Pooling::kMean;
  }
}

absl::Status ValidateEmbedIds(absl::Span<const int32_t> ids, int32_t vocab_size,
                              int32_t context, absl::string_view field) {
  if (ids.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": no tokens"));
  }
  if (static_cast<int64_t>(ids.size()) > context) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", ids.size(), " tokens exceed the context of ",
                     context, " tokens"));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= vocab_size) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": token id ", ids[i], " at index ", i,
                       " is outside [0, ", vocab_size, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEmbedRequest(
    const std::vector<std::vector<int32_t>>& texts, int32_t vocab_size,
    int32_t context, absl::string_view field) {
  if (texts.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": empty; give at least one text"));
  }
  if (texts.size() > size_t{RequestLimits::kMaxEmbedTexts}) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", texts.size(), " texts; at most ",
                     RequestLimits::kMaxEmbedTexts, " per request"));
  }
  int64_t tokens = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    if (absl::Status s = ValidateEmbedIds(texts[i], vocab_size, context,
                                          absl::StrCat(field, "[", i, "]"));
        !s.ok()) {
      return s;
    }
    tokens += static_cast<int64_t>(texts[i].size());
  }
  if (tokens > RequestLimits::kMaxEmbedTokens) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", tokens, " tokens in all; at most ",
                     RequestLimits::kMaxEmbedTokens, " per request"));
  }
  return absl::OkStatus();
}

void L2Normalize(absl::Span<float> v) {
  double sq = 0;
  for (float x : v) sq += double(x) * x;
  if (sq <= 0) return;
  const double scale = 1.0 / std::sqrt(sq);
  for (float& x : v) x = static_cast<float>(x * scale);
}

EmbeddingPass::EmbeddingPass(int32_t hidden_size, int32_t max_batch)
    : hidden_size_(hidden_size), max_batch_(std::max(max_batch, 1)) {
  batch_.reserve(max_batch_);
  sum_.resize(hidden_size_);
}

void EmbeddingPass::Start(absl::Span<const int32_t> ids, int32_t slot,
                          const EmbedOptions& options, int32_t cached) {
  ids_ = ids;
  slot_ = slot;
  options_ = options;
  started_ = true;
  end_ = options.pooling == Pooling::kCls
             ? std::min<int32_t>(1, static_cast<int32_t>(ids.size()))
             : static_cast<int32_t>(ids.size());
  skipped_ = options.pooling == Pooling::kLastToken
                 ? std::clamp(cached, 0, std::max(end_ - 1, 0))
                 : 0;
  fed_ = skipped_;
  batch_.clear();
  std::fill(sum_.begin(), sum_.end(), 0.0);
}

absl::Span<const model::BatchToken> EmbeddingPass::NextBatch(int32_t most) {
  batch_.clear();
  const int32_t n = std::min({max_batch_, end_ - fed_, std::max(most, 1)});
  const int32_t last = static_cast<int32_t>(ids_.size()) - 1;
  for (int32_t i = 0; i < n; ++i) {
    model::BatchToken t;
    t.pos = fed_ + i;
    t.token = ids_[t.pos];
    t.slot = slot_;
    switch (options_.pooling) {
      case Pooling::kDefault:
      case Pooling::kMean:
        t.want_logits = true;
        break;
      case Pooling::kLastToken:
        t.want_logits = t.pos == last;
        break;
      case Pooling::kCls:
        t.want_logits = t.pos == 0;
        break;
    }
    batch_.push_back(t);
  }
  return batch_;
}

void EmbeddingPass::Consume(const float* hidden) {
  int32_t row = 0;
  for (const model::BatchToken& t : batch_) {
    if (!t.want_logits) continue;
    const float* h = hidden + size_t(row) * hidden_size_;
    // Mean sums every row; last and CLS see exactly one wanted row.
    for (int32_t j = 0; j < hidden_size_; ++j) sum_[j] += h[j];
    ++row;
  }
  fed_ += static_cast<int32_t>(batch_.size());
  batch_.clear();
}

std::vector<float> EmbeddingPass::Result() const {
  std::vector<float> out(hidden_size_);
  const bool mean = options_.pooling == Pooling::kMean ||
                    options_.pooling == Pooling::kDefault;
  const double count = mean ? static_cast<double>(end_) : 1.0;
  for (int32_t j = 0; j < hidden_size_; ++j) {
    out[j] = static_cast<float>(sum_[j] / count);
  }
  if (options_.normalize) L2Normalize(absl::MakeSpan(out));
  return out;
}

}  // namespace edgellm::engine
