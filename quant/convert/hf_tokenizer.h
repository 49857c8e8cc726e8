// Hugging Face tokenizers -> GGUF vocabulary, as llama.cpp's converter
// writes it (convert_hf_to_gguf.py get_vocab_base / _set_vocab_gpt2 /
// _create_vocab_sentencepiece, gguf-py vocab.py SpecialVocab):
//  - tokenizer.model (SentencePiece protobuf) -> model "llama": pieces,
//    scores, types, padded to the config's vocab_size with "[PAD{i}]".
//  - tokenizer.json with a byte-level BPE model -> model "gpt2": tokens
//    (vocab plus added_tokens), types, merges, and a pre-tokenizer name
//    ("llama-bpe" for Llama-3's split regex, "qwen2" for Qwen2's,
//    otherwise "default" with a warning).
//  - tokenizer_config.json: bos/eos/unk/pad tokens, add_bos_token,
//    add_eos_token, chat_template; config.json's *_token_id fill gaps.
//
// The protobuf is parsed from the wire format directly (the fields are
// ModelProto.pieces = 1 {piece = 1, score = 2, type = 3}), so no protobuf
// or sentencepiece library is needed.
#ifndef EDGELLM_QUANT_CONVERT_HF_TOKENIZER_H_
#define EDGELLM_QUANT_CONVERT_HF_TOKENIZER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "quant/convert/hf_config.h"

namespace edgellm::quant {

struct HfVocab {
  std::string model;  // "llama" (SentencePiece) or "gpt2" (byte-level BPE)
  std::string pre;    // tokenizer.ggml.pre
  std::vector<std::string> tokens;
  std::vector<int32_t> types;       // llama_token_type values (1 normal, ...)
  std::vector<float> scores;        // "llama" only
  std::vector<std::string> merges;  // "gpt2" only: "left right"
  std::optional<int64_t> bos_id, eos_id, unk_id, pad_id;
  std::optional<bool> add_bos, add_eos, add_space_prefix;
  std::string chat_template;          // empty if none
  std::vector<std::string> warnings;  // for the user, e.g. unknown pre
};

// SentencePiece ModelProto bytes -> pieces, scores, types (model "llama").
absl::StatusOr<HfVocab> ParseSentencePieceModel(std::string_view proto,
                                                int64_t vocab_size);

// tokenizer.json text -> model "gpt2" vocabulary.
absl::StatusOr<HfVocab> ParseTokenizerJson(std::string_view tokenizer_json,
                                           const HfConfig& config);

// Applies tokenizer_config.json (special tokens, add_*_token,
// chat_template, added_tokens_decoder for SentencePiece vocabularies).
// `tokenizer_json` may be empty; it supplies added tokens' ids and the
// post-processor's BOS/EOS use when the config does not say.
absl::Status ApplyTokenizerConfig(std::string_view tokenizer_config_json,
                                  std::string_view tokenizer_json,
                                  HfVocab* vocab);

// All of the above for a model folder: tokenizer.model if present (as
// llama.cpp prefers), else tokenizer.json; then tokenizer_config.json and
// config.json's token ids. NOT_FOUND / UNIMPLEMENTED with a clear message
// when there is no usable tokenizer.
absl::StatusOr<HfVocab> LoadHfVocab(const std::string& dir,
                                    const HfConfig& config);

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_CONVERT_HF_TOKENIZER_H_
