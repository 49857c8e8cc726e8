#include "quant/convert/convert.h"

#include <sys/stat.h>

#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "quant/convert/convert_sources.h"
#include "quant/convert/mapped_file.h"
#include "util/status_macros.h"

namespace edgellm::quant {

std::string InputKindName(InputKind kind) {
  switch (kind) {
    case InputKind::kLlama2c:
      return "llama2.c checkpoint";
    case InputKind::kGguf:
      return "GGUF";
    case InputKind::kHuggingFace:
      return "Hugging Face folder";
  }
  return "?";
}

absl::StatusOr<InputKind> DetectInputKind(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("input '", path, "': ", std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) return InputKind::kHuggingFace;
  if (absl::EndsWith(path, ".safetensors") ||
      absl::EndsWith(path, "config.json")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", path,
        "' is part of a Hugging Face model: pass the folder holding "
        "config.json and the safetensors instead"));
  }
  if (absl::EndsWith(path, ".pth") || absl::EndsWith(path, ".pt") ||
      absl::EndsWith(path, "pytorch_model.bin")) {
    return absl::UnimplementedError(absl::StrCat(
        "'", path,
        "' looks like a PyTorch pickle, which is not supported (supported: "
        "llama2.c .bin, GGUF, Hugging Face safetensors folders)"));
  }
  EDGELLM_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file,
                           MappedFile::Open(path));
  if (file->size() >= 4 && std::memcmp(file->data(), "GGUF", 4) == 0) {
    return InputKind::kGguf;
  }
  return InputKind::kLlama2c;
}

namespace internal {

std::string DefaultModelName(const std::string& path) {
  std::filesystem::path p(path);
  if (!p.has_filename()) p = p.parent_path();  // "dir/"
  return std::filesystem::is_directory(p) ? p.filename().string()
                                          : p.stem().string();
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<gguf::GgufWriter>> PrepareConversion(
    const ConvertOptions& options) {
  EDGELLM_ASSIGN_OR_RETURN(const InputKind kind,
                           DetectInputKind(options.input));
  auto writer = std::make_unique<gguf::GgufWriter>();
  absl::StatusOr<std::vector<SourceTensor>> tensors;
  RecipeModel model;
  switch (kind) {
    case InputKind::kLlama2c:
      tensors = internal::PrepareLlama2c(options, writer.get(), &model);
      break;
    case InputKind::kGguf:
      tensors = internal::PrepareGguf(options, writer.get(), &model);
      break;
    case InputKind::kHuggingFace:
      tensors = internal::PrepareHuggingFace(options, writer.get(), &model);
      break;
  }
  if (!tensors.ok()) return tensors.status();
  if (options.log != nullptr) {
    *options.log << "converting " << InputKindName(kind) << " '"
                 << options.input << "' (" << tensors->size() << " tensors) to "
                 << OutputTypeName(options.type) << "\n";
  }
  AddTensors(std::move(*tensors), options.type, model, options.log,
             writer.get());
  return writer;
}

absl::StatusOr<ConvertResult> ConvertModel(const ConvertOptions& options,
                                           const std::string& output) {
  std::error_code ec;
  if (std::filesystem::equivalent(options.input, output, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("output '", output, "' is the input file"));
  }
  EDGELLM_ASSIGN_OR_RETURN(const InputKind kind,
                           DetectInputKind(options.input));
  EDGELLM_ASSIGN_OR_RETURN(std::unique_ptr<gguf::GgufWriter> writer,
                           PrepareConversion(options));
  EDGELLM_RETURN_IF_ERROR(writer->Write(output));
  ConvertResult result{kind, 0};
  result.output_bytes = std::filesystem::file_size(output, ec);
  return result;
}

}  // namespace edgellm::quant
