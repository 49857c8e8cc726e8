// Random-weight encoder models (bert, nomic-bert) of real shapes, written as
// GGUF files the way llama.cpp's converter writes such models (internal to
// runtime/model; the public entry points are random_model.h's, which route
// encoder shapes and architectures here).
#ifndef EDGELLM_RUNTIME_MODEL_RANDOM_ENCODER_H_
#define EDGELLM_RUNTIME_MODEL_RANDOM_ENCODER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/model/random_model.h"

namespace edgellm::model {

// "bge-small" (bert, CLS pooling, like bge-small-en-v1.5), "nomic-embed-v1.5"
// (nomic-bert, mean pooling), and small test shapes "tiny-bert",
// "tiny-nomic-bert", "tiny-bert-rerank" (a bert with a one-output
// classifier head and RANK pooling). NOT_FOUND for anything else.
absl::StatusOr<RandomModelSpec> NamedRandomEncoderSpec(const std::string& name);
std::vector<std::string> RandomEncoderNames();

// Whether WriteRandomModel routes `architecture` here.
bool IsRandomEncoderArchitecture(const std::string& architecture);

// The model: a WordPiece vocabulary ([PAD] 0, [UNK] 100, [CLS] 101, [SEP]
// 102, [MASK] 103, single characters and common words as word-initial and
// continuation pieces), the converter's keys and tensor names. With q8_0,
// token_embd and the 2-D linear weights are Q8_0; position and type
// embeddings, vectors and one-row tensors stay F32, as llama-quantize leaves
// them.
absl::Status WriteRandomEncoder(const RandomModelSpec& spec,
                                const std::string& path, bool show_progress);

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_RANDOM_ENCODER_H_
