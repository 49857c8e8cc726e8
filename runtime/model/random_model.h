// Random-weight models of real shapes, written as GGUF files.
//
// For benchmarks and for a first run without downloading anything: the
// weights are random (seeded), so the text a random model generates is
// meaningless, but every byte path (load, tokenize, embed, attend, sample,
// stream) is the real one and the speed is the speed of a real model of that
// shape. The files carry complete llama.cpp metadata and a SentencePiece-
// style vocabulary (byte-fallback tokens, ASCII characters, common English
// words, padded to the shape's vocabulary size), so other GGUF runtimes load
// them too.
#ifndef EDGELLM_RUNTIME_MODEL_RANDOM_MODEL_H_
#define EDGELLM_RUNTIME_MODEL_RANDOM_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "quant/recipe.h"

namespace edgellm::model {

struct RandomModelSpec {
  std::string name;                    // e.g. "tinyllama-1.1b"
  std::string architecture = "llama";  // a row of architecture.h's table
  int32_t vocab_size = 512;
  int32_t embedding_length = 64;
  int32_t block_count = 2;
  int32_t head_count = 4;
  int32_t head_count_kv = 2;
  int32_t feed_forward_length = 192;
  int32_t context_length = 2048;
  float rope_freq_base = 10000.0f;
  bool tied_output = true;
  // The head width when it is not embedding_length / head_count (Qwen3,
  // Gemma 3): {arch}.attention.key_length and value_length. 0: the quotient.
  int32_t head_dim = 0;
  // Rotated dims per head (Phi-4-mini: 96 of 128). 0: all of them.
  int32_t rope_dimension_count = 0;
  float rms_norm_eps = 1e-5f;
  // {arch}.attention.sliding_window (Gemma 3's local layers; Phi-3 writes
  // one that llama.cpp and we ignore) and the local layers' RoPE base
  // (freq_base_swa; 0: not written). 0: no key.
  int32_t sliding_window = 0;
  float rope_freq_base_swa = 0;
  // Llama 3's context scaling, as llama.cpp's converter writes it: a
  // rope_freqs.weight tensor of per-pair divisors. factor 0: none.
  float llama3_rope_factor = 0;
  float llama3_low_freq_factor = 1.0f;
  float llama3_high_freq_factor = 4.0f;
  int32_t llama3_original_context = 8192;
  // LongRoPE (Phi-3 128k, Phi-4-mini): rope_factors_{short,long}.weight and
  // rope.scaling.{original_context_length,attn_factor}. 0: none.
  int32_t longrope_original_context = 0;
  // The llama.cpp file type: each matrix gets the type llama-quantize's
  // recipe gives it for this file type (quant/recipe.h; q4_k_m: Q4_K with
  // Q6_K for the head and some attn_v/ffn_down); norms stay F32.
  quant::FileType file_type = quant::FileType::kQ8_0;
  uint64_t seed = 1;
  // Encoders (architecture "bert" or "nomic-bert", random_encoder.h):
  int32_t pooling_type = 1;  // <arch>.pooling_type (1 mean, 2 CLS, 4 rank)
  int32_t classifier_outputs = 0;  // > 0: a reranker head (cls, cls.output)
};

// Shapes of published models: "tiny" (a few MB, the default demo model),
// "smollm2-135m" (tied), "qwen2.5-0.5b" (qwen2, tied), "tinyllama-1.1b"
// (untied), "qwen3-0.6b", "gemma3-1b", "phi4-mini", "llama3.2-1b",
// "smollm3-3b" (each with its model's hyperparameters from its
// config.json), "tiny-qwen3", "tiny-gemma3", "tiny-phi4-mini",
// "tiny-llama3.2", "tiny-smollm3" (a few MB each, every feature of the
// architecture at a small width, for tests), and the encoders of
// random_encoder.h ("bge-small", "nomic-embed-v1.5", ...). NOT_FOUND lists
// the names for anything else.
absl::StatusOr<RandomModelSpec> NamedRandomModelSpec(const std::string& name);
std::vector<std::string> RandomModelNames();

// Writes the model. Progress (tensor i of N) goes to `progress` if set.
absl::Status WriteRandomModel(const RandomModelSpec& spec,
                              const std::string& path, bool show_progress);

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_RANDOM_MODEL_H_
