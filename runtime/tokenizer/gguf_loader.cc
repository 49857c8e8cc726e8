// Tokenizer::FromGguf and Tokenizer::Load: the `tokenizer.ggml.*` metadata
// keys as llama.cpp reads them (src/llama-arch.cpp LLM_KV names,
// src/llama-vocab.cpp load()).
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/gguf/gguf.h"
#include "runtime/tokenizer/llama2c.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::tokenizer {
namespace {

absl::Status KeyError(std::string_view key, const absl::Status& status) {
  return absl::Status(
      status.code(),
      absl::StrCat("GGUF key '", std::string(key), "': ", status.message()));
}

absl::Status ReadId(const gguf::GgufFile& file, std::string_view key,
                    std::optional<TokenId>* out) {
  const gguf::Value* v = file.Find(key);
  if (v == nullptr) return absl::OkStatus();
  auto id = v->GetInt();
  if (!id.ok()) return KeyError(key, id.status());
  // Out-of-range ids are ignored later, as llama.cpp does.
  if (*id >= 0 && *id <= INT32_MAX) *out = static_cast<TokenId>(*id);
  return absl::OkStatus();
}

absl::Status ReadBool(const gguf::GgufFile& file, std::string_view key,
                      std::optional<bool>* out) {
  const gguf::Value* v = file.Find(key);
  if (v == nullptr) return absl::OkStatus();
  auto b = v->GetBool();
  if (!b.ok()) return KeyError(key, b.status());
  *out = *b;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(
    const gguf::GgufFile& file) {
  Vocab vocab;
  auto model = file.GetString("tokenizer.ggml.model");
  if (!model.ok()) return model.status();
  if (*model == "llama") {
    vocab.kind = TokenizerKind::kSpm;
  } else if (*model == "gpt2") {
    vocab.kind = TokenizerKind::kBpe;
  } else if (*model == "bert") {
    vocab.kind = TokenizerKind::kWordPiece;
  } else {
    return absl::UnimplementedError(
        absl::StrCat("tokenizer.ggml.model '", std::string(*model),
                     "' is not supported (supported: llama, gpt2, bert)"));
  }
  if (const gguf::Value* v = file.Find("tokenizer.ggml.pre")) {
    auto pre = v->GetString();
    if (!pre.ok()) return KeyError("tokenizer.ggml.pre", pre.status());
    vocab.pre = std::string(*pre);
  }
  if (const gguf::Value* v = file.Find("general.name")) {
    if (auto name = v->GetString(); name.ok()) vocab.name = std::string(*name);
  }

  const gguf::Value* tokens = file.Find("tokenizer.ggml.tokens");
  if (tokens == nullptr) {
    return absl::NotFoundError(
        "GGUF has no tokenizer.ggml.tokens (not a model with a vocabulary)");
  }
  auto token_views = tokens->GetStringArray();
  if (!token_views.ok()) {
    return KeyError("tokenizer.ggml.tokens", token_views.status());
  }
  vocab.tokens.assign(token_views->begin(), token_views->end());

  if (const gguf::Value* v = file.Find("tokenizer.ggml.scores")) {
    auto scores = v->GetFloatArray();
    if (!scores.ok()) return KeyError("tokenizer.ggml.scores", scores.status());
    vocab.scores = *std::move(scores);
  }
  if (const gguf::Value* v = file.Find("tokenizer.ggml.token_type")) {
    auto types = v->GetIntArray();
    if (!types.ok()) {
      return KeyError("tokenizer.ggml.token_type", types.status());
    }
    vocab.types.reserve(types->size());
    for (int64_t t : *types) {
      vocab.types.push_back(t >= 0 && t <= 6 ? static_cast<TokenType>(t)
                                             : TokenType::kUndefined);
    }
  }
  if (vocab.kind == TokenizerKind::kBpe) {
    const gguf::Value* v = file.Find("tokenizer.ggml.merges");
    if (v == nullptr) {
      return absl::NotFoundError(
          "GGUF has tokenizer.ggml.model 'gpt2' but no tokenizer.ggml.merges");
    }
    auto merges = v->GetStringArray();
    if (!merges.ok()) return KeyError("tokenizer.ggml.merges", merges.status());
    vocab.merges.assign(merges->begin(), merges->end());
  }

  struct IdKey {
    std::string_view key;
    std::optional<TokenId>* field;
  };
  for (const IdKey& k : {IdKey{"tokenizer.ggml.bos_token_id", &vocab.bos},
                         IdKey{"tokenizer.ggml.eos_token_id", &vocab.eos},
                         IdKey{"tokenizer.ggml.eot_token_id", &vocab.eot},
                         IdKey{"tokenizer.ggml.eom_token_id", &vocab.eom},
                         IdKey{"tokenizer.ggml.unknown_token_id", &vocab.unk},
                         // sic: llama.cpp's key is spelled "seperator".
                         IdKey{"tokenizer.ggml.seperator_token_id", &vocab.sep},
                         IdKey{"tokenizer.ggml.padding_token_id", &vocab.pad},
                         IdKey{"tokenizer.ggml.mask_token_id", &vocab.mask}}) {
    if (absl::Status s = ReadId(file, k.key, k.field); !s.ok()) return s;
  }
  for (auto [key, field] :
       {std::pair{"tokenizer.ggml.add_bos_token", &vocab.add_bos},
        std::pair{"tokenizer.ggml.add_eos_token", &vocab.add_eos},
        std::pair{"tokenizer.ggml.add_sep_token", &vocab.add_sep},
        std::pair{"tokenizer.ggml.add_space_prefix",
                  &vocab.add_space_prefix}}) {
    if (absl::Status s = ReadBool(file, key, field); !s.ok()) return s;
  }
  return FromVocab(std::move(vocab));
}

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::Load(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot open tokenizer/model file '", path, "'"));
  }
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() == 4 && std::string_view(magic, 4) == "GGUF") {
    in.close();
    auto file = gguf::GgufFile::Open(path);
    if (!file.ok()) return file.status();
    auto tok = FromGguf(**file);
    if (!tok.ok()) {
      return absl::Status(tok.status().code(),
                          absl::StrCat(path, ": ", tok.status().message()));
    }
    return tok;
  }
  in.seekg(0);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (!LooksLikeLlama2cTokenizer(bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", path,
                     "' is neither a GGUF file (magic \"GGUF\") nor a llama2.c "
                     "tokenizer.bin"));
  }
  auto tok = FromLlama2cBuffer(bytes);
  if (!tok.ok()) {
    return absl::Status(tok.status().code(),
                        absl::StrCat(path, ": ", tok.status().message()));
  }
  return tok;
}

}  // namespace edgellm::tokenizer
