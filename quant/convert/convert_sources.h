// Internal to //quant/convert:convert: one function per input kind, each
// filling `writer` with metadata and `model` with what the per-tensor recipe
// needs (quant/recipe.h), and returning the tensors to write.
#ifndef EDGELLM_QUANT_CONVERT_CONVERT_SOURCES_H_
#define EDGELLM_QUANT_CONVERT_CONVERT_SOURCES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "quant/convert/convert.h"
#include "quant/convert/tensor_output.h"
#include "runtime/gguf/writer.h"

namespace edgellm::quant::internal {

absl::StatusOr<std::vector<SourceTensor>> PrepareLlama2c(
    const ConvertOptions& options, gguf::GgufWriter* writer,
    RecipeModel* model);

absl::StatusOr<std::vector<SourceTensor>> PrepareGguf(
    const ConvertOptions& options, gguf::GgufWriter* writer,
    RecipeModel* model);

absl::StatusOr<std::vector<SourceTensor>> PrepareHuggingFace(
    const ConvertOptions& options, gguf::GgufWriter* writer,
    RecipeModel* model);

// The default general.name: the file name without directory and extension,
// or a folder's name.
std::string DefaultModelName(const std::string& path);

}  // namespace edgellm::quant::internal

#endif  // EDGELLM_QUANT_CONVERT_CONVERT_SOURCES_H_
