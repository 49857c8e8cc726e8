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
  std::string architecture = "llama";  // "llama" or "qwen2"
  int32_t vocab_size = 512;
  int32_t embedding_length = 64;
  int32_t block_count = 2;
  int32_t head_count = 4;
  int32_t head_count_kv = 2;
  int32_t feed_forward_length = 192;
  int32_t context_length = 2048;
  float rope_freq_base = 10000.0f;
  bool tied_output = true;
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
// (untied), and the encoders of random_encoder.h ("bge-small",
// "nomic-embed-v1.5", ...). NOT_FOUND lists the names for anything else.
absl::StatusOr<RandomModelSpec> NamedRandomModelSpec(const std::string& name);
std::vector<std::string> RandomModelNames();

// Writes the model. Progress (tensor i of N) goes to `progress` if set.
absl::Status WriteRandomModel(const RandomModelSpec& spec,
                              const std::string& path, bool show_progress);

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_RANDOM_MODEL_H_
