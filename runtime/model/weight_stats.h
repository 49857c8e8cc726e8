// What a model file's weights are made of, for inspect, bench and
// GetModelInfo: the mix of tensor types and the bytes one decode step reads.
#ifndef EDGELLM_RUNTIME_MODEL_WEIGHT_STATS_H_
#define EDGELLM_RUNTIME_MODEL_WEIGHT_STATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/gguf/gguf.h"

namespace edgellm::model {

// The tensor types with how many tensors have each, most common first, in
// ggml's names upper-cased: "Q4_K x110, Q6_K x23, F32 x45".
std::string WeightTypeMix(const gguf::GgufFile& file);

// The distinct tensor types of the file, most common first.
std::vector<gguf::TensorType> WeightTypes(const gguf::GgufFile& file);

// Bytes of weights one decode step reads at the file's actual mix: every
// tensor, except that an embedding table with a separate output head
// (output.weight present) counts one row (the token's), not all of it.
// A tied table is the output head and counts whole.
uint64_t WeightBytesPerToken(const gguf::GgufFile& file);

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_WEIGHT_STATS_H_
