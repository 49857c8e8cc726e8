// GGUF (F32 / F16 / BF16 / Q8_0 tensors) -> GGUF of another type, with all
// metadata copied.
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "quant/convert/convert_sources.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"
#include "runtime/gguf/gguf.h"
#include "util/status_macros.h"

namespace edgellm::quant::internal {
namespace {

absl::Status DecodeToF32(const gguf::TensorInfo& t, std::vector<float>* out) {
  const int64_t n = t.num_elements();
  out->resize(n);
  switch (t.type) {
    case gguf::TensorType::kF32:
      std::memcpy(out->data(), t.data, n * sizeof(float));
      return absl::OkStatus();
    case gguf::TensorType::kF16:
    case gguf::TensorType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, t.data + 2 * i, sizeof(h));
        (*out)[i] =
            t.type == gguf::TensorType::kF16 ? Fp16ToFp32(h) : Bf16ToFp32(h);
      }
      return absl::OkStatus();
    case gguf::TensorType::kQ8_0: {
      std::vector<BlockQ8_0> blocks(n / kQ8_0BlockSize);
      std::memcpy(blocks.data(), t.data, blocks.size() * sizeof(BlockQ8_0));
      DequantizeRowQ8_0(blocks.data(), out->data(), n);
      return absl::OkStatus();
    }
    default:
      break;
  }
  return absl::InternalError("unexpected tensor type");
}

bool Decodable(gguf::TensorType type) {
  return type == gguf::TensorType::kF32 || type == gguf::TensorType::kF16 ||
         type == gguf::TensorType::kBF16 || type == gguf::TensorType::kQ8_0;
}

}  // namespace

absl::StatusOr<std::vector<SourceTensor>> PrepareGguf(
    const ConvertOptions& options, gguf::GgufWriter* writer) {
  if (!options.tokenizer.empty()) {
    return absl::InvalidArgumentError(
        "--tokenizer applies to llama2.c checkpoints only; a GGUF input "
        "carries its own vocabulary");
  }
  EDGELLM_ASSIGN_OR_RETURN(std::shared_ptr<gguf::GgufFile> file,
                           gguf::GgufFile::Open(options.input));
  for (const gguf::TensorInfo& t : file->tensors()) {
    if (!Decodable(t.type)) {
      absl::StatusOr<gguf::TensorTypeTraits> traits =
          gguf::GetTensorTypeTraits(static_cast<uint32_t>(t.type));
      return absl::UnimplementedError(absl::StrCat(
          "tensor '", std::string(t.name), "' of '", options.input,
          "' has type ",
          traits.ok() ? std::string(traits->name)
                      : std::to_string(static_cast<int>(t.type)),
          ", which cannot be converted (supported inputs: f32, f16, bf16, "
          "q8_0)"));
    }
  }
  // Everything is copied as is except the file type, which describes the
  // new tensors. It goes where the input had it (llama.cpp's quantizer
  // does the same).
  bool file_type_set = false;
  for (const auto& [key, value] : file->metadata()) {
    if (key == "general.quantization_version") continue;
    if (key == "general.file_type") {
      SetFileType(options.type, writer);
      file_type_set = true;
      continue;
    }
    if (key == "general.name" && !options.name.empty()) {
      writer->SetString(key, options.name);
      continue;
    }
    writer->SetValue(key, value);
  }
  if (!file_type_set) SetFileType(options.type, writer);

  std::vector<SourceTensor> tensors;
  for (size_t i = 0; i < file->tensors().size(); ++i) {
    const gguf::TensorInfo& t = file->tensors()[i];
    SourceTensor s;
    s.name = std::string(t.name);
    s.dims = t.dims;
    absl::StatusOr<gguf::TensorTypeTraits> traits =
        gguf::GetTensorTypeTraits(static_cast<uint32_t>(t.type));
    s.source_type = traits.ok() ? std::string(traits->name) : "?";
    s.raw_type = t.type;
    s.read_raw = [file, i](std::string* out) {
      const gguf::TensorInfo& t = file->tensors()[i];
      out->append(reinterpret_cast<const char*>(t.data), t.size_bytes);
      return absl::OkStatus();
    };
    s.read_f32 = [file, i](std::vector<float>* out) {
      return DecodeToF32(file->tensors()[i], out);
    };
    tensors.push_back(std::move(s));
  }
  return tensors;
}

}  // namespace edgellm::quant::internal
