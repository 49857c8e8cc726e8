#include "runtime/model/encoder_config.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace edgellm::model {
namespace {

constexpr int64_t kMaxDim = 1 << 20;

// `key` as an integer in [min, max].
absl::StatusOr<int32_t> ReadInt(const gguf::GgufFile& file,
                                const std::string& key, int64_t min,
                                int64_t max) {
  absl::StatusOr<int64_t> v = file.GetInt(key);
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata ", key, ": ", v.status().message()));
  }
  if (*v < min || *v > max) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metadata ", key, " = ", *v, " is outside [", min, ", ", max, "]"));
  }
  return static_cast<int32_t>(*v);
}

absl::StatusOr<int32_t> ReadOptionalInt(const gguf::GgufFile& file,
                                        const std::string& key, int64_t min,
                                        int64_t max, int32_t fallback) {
  if (file.Find(key) == nullptr) return fallback;
  return ReadInt(file, key, min, max);
}

absl::StatusOr<float> ReadFloat(const gguf::GgufFile& file,
                                const std::string& key) {
  absl::StatusOr<double> v = file.GetFloat(key);
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata ", key, ": ", v.status().message()));
  }
  if (!(*v > 0) || *v > 1e30) {
    return absl::InvalidArgumentError(
        absl::StrCat("metadata ", key, " = ", *v, " must be positive"));
  }
  return static_cast<float>(*v);
}

}  // namespace

std::string_view EncoderPoolingName(EncoderPooling pooling) {
  switch (pooling) {
    case EncoderPooling::kNone:
      return "none";
    case EncoderPooling::kMean:
      return "mean";
    case EncoderPooling::kCls:
      return "cls";
    case EncoderPooling::kLast:
      return "last";
    case EncoderPooling::kRank:
      return "rank";
  }
  return "unknown";
}

absl::StatusOr<EncoderPooling> ParseEncoderPooling(std::string_view name) {
  for (EncoderPooling p :
       {EncoderPooling::kNone, EncoderPooling::kMean, EncoderPooling::kCls,
        EncoderPooling::kLast, EncoderPooling::kRank}) {
    if (name == EncoderPoolingName(p)) return p;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown pooling '", std::string(name),
                   "' (known: none, mean, cls, last, rank)"));
}

bool IsEncoderArchitecture(std::string_view name) {
  return name == "bert" || name == "nomic-bert";
}

absl::StatusOr<EncoderConfig> ReadEncoderConfig(const gguf::GgufFile& file) {
  EncoderConfig c;
  absl::StatusOr<std::string_view> arch =
      file.GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  c.architecture_name = std::string(*arch);
  if (c.architecture_name == "bert") {
    c.architecture = EncoderArchitecture::kBert;
  } else if (c.architecture_name == "nomic-bert") {
    c.architecture = EncoderArchitecture::kNomicBert;
  } else {
    return absl::UnimplementedError(
        absl::StrCat("architecture '", c.architecture_name,
                     "' is not an encoder (supported: bert, nomic-bert)"));
  }
  if (absl::StatusOr<std::string_view> name = file.GetString("general.name");
      name.ok()) {
    c.name = std::string(*name);
  }
  const std::string a = c.architecture_name + ".";
  EDGELLM_ASSIGN_OR_RETURN(c.embedding_length,
                           ReadInt(file, a + "embedding_length", 1, kMaxDim));
  EDGELLM_ASSIGN_OR_RETURN(c.block_count,
                           ReadInt(file, a + "block_count", 1, 4096));
  EDGELLM_ASSIGN_OR_RETURN(c.head_count,
                           ReadInt(file, a + "attention.head_count", 1, 4096));
  EDGELLM_ASSIGN_OR_RETURN(
      c.head_count_kv, ReadOptionalInt(file, a + "attention.head_count_kv", 1,
                                       4096, c.head_count));
  EDGELLM_ASSIGN_OR_RETURN(
      c.feed_forward_length,
      ReadInt(file, a + "feed_forward_length", 1, kMaxDim));
  EDGELLM_ASSIGN_OR_RETURN(c.context_length,
                           ReadInt(file, a + "context_length", 1, 1 << 24));
  if (c.embedding_length % c.head_count != 0 ||
      c.head_count % c.head_count_kv != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        a, "embedding_length ", c.embedding_length, ", attention.head_count ",
        c.head_count, " and head_count_kv ", c.head_count_kv,
        ": the heads must divide the width and the KV heads the heads"));
  }
  c.head_dim = c.embedding_length / c.head_count;
  // llama.cpp reads it unconditionally for both architectures; BERT's
  // 1e-12 against the usual 1e-5 changes the vectors visibly, so a file
  // without it is refused rather than guessed.
  EDGELLM_ASSIGN_OR_RETURN(c.layer_norm_eps,
                           ReadFloat(file, a + "attention.layer_norm_epsilon"));
  if (const gguf::Value* causal = file.Find(a + "attention.causal")) {
    absl::StatusOr<bool> b = causal->GetBool();
    if (!b.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "metadata ", a, "attention.causal: ", b.status().message()));
    }
    if (*b) {
      return absl::UnimplementedError(
          absl::StrCat(a,
                       "attention.causal is true: causal encoders are not "
                       "supported (bert and nomic-bert attend both ways)"));
    }
  }
  if (file.Find(a + "expert_count") != nullptr) {
    return absl::UnimplementedError(absl::StrCat(
        a,
        "expert_count is set: mixture-of-experts encoders (nomic-bert-moe) "
        "are not supported"));
  }
  if (c.architecture == EncoderArchitecture::kNomicBert) {
    EDGELLM_ASSIGN_OR_RETURN(c.rope_freq_base,
                             file.Find(a + "rope.freq_base") != nullptr
                                 ? ReadFloat(file, a + "rope.freq_base")
                                 : absl::StatusOr<float>(10000.0f));
    EDGELLM_ASSIGN_OR_RETURN(c.rope_dimension_count,
                             ReadOptionalInt(file, a + "rope.dimension_count",
                                             2, c.head_dim, c.head_dim));
    if (c.rope_dimension_count % 2 != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          a, "rope.dimension_count ", c.rope_dimension_count, " must be even"));
    }
  }
  if (file.Find(a + "pooling_type") != nullptr) {
    EDGELLM_ASSIGN_OR_RETURN(int32_t p,
                             ReadInt(file, a + "pooling_type", 0, 4));
    c.pooling = static_cast<EncoderPooling>(p);
    c.pooling_in_file = true;
  }
  if (const gguf::Value* labels = file.Find(a + "classifier.output_labels")) {
    absl::StatusOr<std::vector<std::string_view>> names =
        labels->GetStringArray();
    if (!names.ok() || names->empty() || names->size() > 4096) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata ", a,
                       "classifier.output_labels must be 1 to 4096 strings"));
    }
    c.classifier_outputs = static_cast<int32_t>(names->size());
  }

  // Counts from the file are checked before they are narrowed to int32.
  constexpr int64_t kMaxVocab = 1 << 24;
  if (const gguf::Value* tokens = file.Find("tokenizer.ggml.tokens")) {
    if (tokens->size() > static_cast<uint64_t>(kMaxVocab)) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata tokenizer.ggml.tokens has ", tokens->size(),
                       " entries; at most ", kMaxVocab));
    }
    c.vocab_size = static_cast<int32_t>(tokens->size());
  }
  const gguf::TensorInfo* embd = file.FindTensor("token_embd.weight");
  if (embd == nullptr) {
    return absl::InvalidArgumentError("tensor token_embd.weight is missing");
  }
  if (c.vocab_size == 0 && embd->dims.size() == 2) {
    if (embd->dims[1] > kMaxVocab) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor token_embd.weight has ", embd->dims[1],
                       " rows (the vocabulary); at most ", kMaxVocab));
    }
    c.vocab_size = static_cast<int32_t>(embd->dims[1]);
  }
  if (c.vocab_size <= 0 || c.vocab_size > (1 << 24)) {
    return absl::InvalidArgumentError("cannot determine the vocabulary size");
  }
  return c;
}

}  // namespace edgellm::model
