// The output side shared by all converters: which GGUF type each tensor
// gets, how f32 values are encoded, and adding tensors to a GgufWriter with
// producers that read and encode one tensor at a time (so a model is never
// held in memory whole) and report progress.
#ifndef EDGELLM_QUANT_CONVERT_TENSOR_OUTPUT_H_
#define EDGELLM_QUANT_CONVERT_TENSOR_OUTPUT_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "quant/recipe.h"
#include "runtime/gguf/types.h"
#include "runtime/gguf/writer.h"

namespace edgellm::quant {

// What `--type` asks for: a llama.cpp file type (quant/recipe.h), whose
// per-tensor recipe picks each tensor's type.
using OutputType = FileType;

// "f32", "f16", "q8_0", "q4_k_m", ... (case-insensitive); INVALID_ARGUMENT
// listing the names otherwise.
absl::StatusOr<OutputType> ParseOutputType(const std::string& name);
std::string OutputTypeName(OutputType type);
// llama.cpp's llama_ftype for general.file_type (ALL_F32 = 0, MOSTLY_F16 =
// 1, MOSTLY_Q8_0 = 7, MOSTLY_Q4_K_M = 15, ...).
uint32_t LlamaFileType(OutputType type);

// One tensor to write, and where its values come from.
struct SourceTensor {
  std::string name;
  std::vector<int64_t> dims;  // GGUF order, dims[0] fastest
  std::string source_type;    // for messages: "f32", "BF16", ...
  // Fills *out with the tensor's values as f32 (resizing it).
  std::function<absl::Status(std::vector<float>* out)> read_f32;
  // Optional: when the source is already stored as `raw_type`, appends its
  // bytes unchanged (a GGUF Q8_0 tensor copied into a Q8_0 file).
  std::function<absl::Status(std::string* out)> read_raw;
  gguf::TensorType raw_type = gguf::TensorType::kF32;

  int64_t num_elements() const;
};

// The GGUF type of every tensor for `type` (llama.cpp's recipe,
// quant/recipe.h): 1-D tensors (norms, biases) stay F32, as llama.cpp keeps
// them; a tensor whose rows (dims[0]) do not split into its type's blocks
// falls back as llama.cpp's does (to F32 at the end), and reasons[i] says
// why ("" otherwise).
std::vector<gguf::TensorType> ChooseTensorTypes(
    const std::vector<SourceTensor>& tensors, OutputType type,
    const RecipeModel& model, std::vector<std::string>* reasons);

// Appends `values` (dims[0] per row) encoded as F32, F16, BF16 or any
// block type of quant/type_traits.h (ggml's reference quantizers).
absl::Status EncodeTensor(const std::vector<float>& values,
                          const std::vector<int64_t>& dims,
                          gguf::TensorType type, std::string* out);

// Sets general.file_type, preceded for a quantized type by
// general.quantization_version = 2 (the ggml block format version), in the
// order llama-quantize appends them.
void SetFileType(OutputType type, gguf::GgufWriter* writer);

// Adds every tensor to `writer` with a producer; a quantized file type
// writes them in llama-quantize's order (LlamaQuantizeTensorOrder), others
// in the order given. Lines for tensors that did not get their recipe type
// are printed to `log` now; one progress line per tensor (i/N, bytes
// written) when the writer runs the producer. `log` may be null.
void AddTensors(std::vector<SourceTensor> tensors, OutputType type,
                const RecipeModel& model, std::ostream* log,
                gguf::GgufWriter* writer);

}  // namespace edgellm::quant

#endif  // EDGELLM_QUANT_CONVERT_TENSOR_OUTPUT_H_
