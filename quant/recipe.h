// llama.cpp's file types (llama_ftype, what `--type` names) and its
// per-tensor recipe for them (llama-quant.cpp llama_tensor_get_type): which
// tensors a "Q4_K_M" file stores as Q4_K, which get Q6_K, and which fall
// back to another type because their rows do not split into the type's
// blocks. Used by `edgellm quantize` and `edgellm make-model`, so a file of
// ours has the types llama-quantize would give the same tensors.
//
// Covered: dense models (no experts), no importance matrix, no --pure, no
// per-tensor overrides, and not llama.cpp's Falcon or 70B special cases.
#ifndef EDGELLM_QUANT_RECIPE_H_
#define EDGELLM_QUANT_RECIPE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/gguf/types.h"

namespace edgellm::quant {

// llama_ftype codes, as general.file_type stores them.
enum class FileType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ8_0 = 7,
  kQ5_0 = 8,
  kQ5_1 = 9,
  kQ2_K = 10,
  kQ3_K_S = 11,
  kQ3_K_M = 12,
  kQ3_K_L = 13,
  kQ4_K_S = 14,
  kQ4_K_M = 15,
  kQ5_K_S = 16,
  kQ5_K_M = 17,
  kQ6_K = 18,
  kIQ4_NL = 25,
  kIQ4_XS = 30,
  kBF16 = 32,
};

// "q4_k_m", "Q4_K_M", "q8_0", "f16", ... (case-insensitive);
// INVALID_ARGUMENT listing the names otherwise.
absl::StatusOr<FileType> ParseFileType(const std::string& name);
std::string FileTypeName(FileType type);  // lower case: "q4_k_m"
std::vector<std::string> FileTypeNames();
// The type most tensors get (llama_ftype_get_default_type).
gguf::TensorType DefaultTensorType(FileType type);
bool IsQuantizedFileType(FileType type);

// One tensor of the model as the recipe sees it.
struct RecipeTensor {
  std::string name;           // GGUF name: "blk.3.attn_v.weight"
  std::vector<int64_t> dims;  // GGUF order, dims[0] = row length
  // The type the tensor has now; tensors the recipe does not quantize keep
  // it when it is F32, F16 or BF16 (and become F32 otherwise).
  gguf::TensorType source_type = gguf::TensorType::kF32;
};

struct RecipeModel {
  int32_t n_layer = 0;  // block_count
  // n_head / n_head_kv (grouped-query attention); 1 when unknown.
  int32_t n_gqa = 1;
};

struct RecipeChoice {
  gguf::TensorType type;
  // Why the tensor did not get its recipe type ("q5_0 instead of q4_K: rows
  // of 172 values are not a multiple of the q4_K block size 256"), or "".
  std::string note;
};

// The types of all tensors, in the order given. The recipe counts
// attention-value tensors and layers over the whole model, so it needs
// every tensor at once.
std::vector<RecipeChoice> ChooseTensorTypes(
    FileType type, absl::Span<const RecipeTensor> tensors,
    const RecipeModel& model);

// llama-quantize's tensor order (its weight_name_comparer): tensors outside
// the blocks first, then block by block, each group by name. Returns the
// permutation: result[i] is the index in `names` of the i-th tensor.
std::vector<size_t> LlamaQuantizeTensorOrder(
    absl::Span<const std::string> names);

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_RECIPE_H_
