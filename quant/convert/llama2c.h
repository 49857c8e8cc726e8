// llama2.c checkpoints (github.com/karpathy/llama2.c, export.py) and its
// tokenizer.bin, parsed into GGUF-named tensors and a SentencePiece-style
// vocabulary.
//
// Checkpoint versions:
//  - v0 ("legacy"): 7 int32 {dim, hidden_dim, n_layers, n_heads, n_kv_heads,
//    vocab_size, seq_len}; vocab_size > 0 means the classifier is shared
//    with the token embedding. Then f32: token_embedding, rms_att, wq, wk,
//    wv, wo, rms_ffn, w1, w2, w3, rms_final, freq_cis_real, freq_cis_imag
//    (seq_len * head_size / 2 each, unused), [wcls].
//  - v1: uint32 magic "ak42" (0x616b3432), int32 version, the 7 ints, uint8
//    shared_classifier, zero padding to 256 bytes; then f32: rms_att,
//    rms_ffn, rms_final, token_embedding, wq, wk, wv, wo, w1, w2, w3, [wcls].
//  - v2: as v1 plus int32 group_size after the flag; f32 norms (rms_att,
//    rms_ffn, rms_final), then int8 values of token_embedding, wq, wk, wv,
//    wo, w1, w2, w3, [wcls] and after them all their f32 group scales in the
//    same order (value = q * scale of its group of `group_size`).
// Matrices are row-major [out][in] (run.c's matmul), i.e. GGUF dims
// {in, out}. llama2.c's RoPE rotates adjacent pairs (i, i+1), which is what
// llama.cpp's `llama` architecture expects, so no permutation is needed.
//
// Pure functions over bytes already in memory; no I/O.
#ifndef EDGELLM_QUANT_CONVERT_LLAMA2C_H_
#define EDGELLM_QUANT_CONVERT_LLAMA2C_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edgellm::quant {

struct Llama2cConfig {
  int version = 0;  // 0 (legacy), 1 or 2
  int32_t dim = 0;
  int32_t hidden_dim = 0;
  int32_t n_layers = 0;
  int32_t n_heads = 0;
  int32_t n_kv_heads = 0;
  int32_t vocab_size = 0;  // always positive here
  int32_t seq_len = 0;
  bool shared_classifier = false;
  int32_t group_size = 0;  // v2 only

  int32_t head_size() const { return dim / n_heads; }
  int32_t kv_dim() const { return head_size() * n_kv_heads; }
};

// Where one tensor's values are in the checkpoint.
struct Llama2cTensor {
  std::string name;           // GGUF name, e.g. "blk.0.attn_q.weight"
  std::vector<int64_t> dims;  // GGUF order (dims[0] = row length)
  uint64_t offset = 0;        // f32 values (v0, v1, v2 norms) or int8 (v2)
  bool int8 = false;          // v2 quantized: int8 at offset, scales below
  uint64_t scale_offset = 0;  // v2: f32 group scales

  int64_t num_elements() const;
};

struct Llama2cCheckpoint {
  Llama2cConfig config;
  // In llama.cpp's usual order: token_embd, output_norm, [output], then per
  // block attn_norm, attn_q, attn_k, attn_v, attn_output, ffn_norm,
  // ffn_gate (w1), ffn_down (w2), ffn_up (w3).
  std::vector<Llama2cTensor> tensors;
};

// Parses and validates the header and checks that the file holds exactly
// the tensors the header implies. Errors name the field or the sizes.
absl::StatusOr<Llama2cCheckpoint> ParseLlama2cCheckpoint(const uint8_t* data,
                                                         size_t size);

// Writes the tensor's num_elements() values as f32 (dequantizing v2).
// `data`/`size` is the whole checkpoint the tensor came from.
absl::Status ReadLlama2cTensor(const uint8_t* data, size_t size,
                               const Llama2cConfig& config,
                               const Llama2cTensor& tensor, float* out);

// GGUF token types (llama.cpp's llama_token_type).
enum TokenType : int32_t {
  kTokenNormal = 1,
  kTokenUnknown = 2,
  kTokenControl = 3,
  kTokenUserDefined = 4,
  kTokenUnused = 5,
  kTokenByte = 6,
};

// A SentencePiece-style vocabulary as GGUF's `llama` tokenizer model wants
// it: pieces with U+2581 for spaces, scores, token types.
struct SpmVocab {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  int32_t unk_id = 0;
  int32_t bos_id = 1;
  int32_t eos_id = 2;
};

// Parses llama2.c's tokenizer.bin: int32 max_token_length, then per id f32
// score, int32 byte length, bytes. `vocab_size` comes from the checkpoint.
// llama2.c's export_tokenizer.py wrote SentencePiece pieces with U+2581
// replaced by ' ', and BOS/EOS as "\n<s>\n" / "\n</s>\n"; both are undone
// here. Ids 0, 1, 2 are unk, bos, eos (SentencePiece's defaults, which
// llama2.c hard-codes); "<0xNN>" pieces are byte-fallback tokens.
absl::StatusOr<SpmVocab> ParseLlama2cTokenizer(const uint8_t* data, size_t size,
                                               int32_t vocab_size);

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_CONVERT_LLAMA2C_H_
