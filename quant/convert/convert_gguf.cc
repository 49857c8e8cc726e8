// GGUF (F32 / F16 / BF16 or any block type we decode) -> GGUF of another
// type, with all metadata copied, laid out as llama-quantize lays it out.
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "quant/convert/convert_sources.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"
#include "quant/type_traits.h"
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
    default:
      break;
  }
  const QuantTypeTraits* q = FindQuantType(t.type);
  if (q == nullptr || !q->is_weight_type()) {
    return absl::InternalError("unexpected tensor type");
  }
  // The mapping is only 32-byte aligned and block structs need at most 2;
  // dequantize straight from it.
  q->dequantize(t.data, out->data(), n);
  return absl::OkStatus();
}

bool Decodable(gguf::TensorType type) {
  if (type == gguf::TensorType::kF32 || type == gguf::TensorType::kF16 ||
      type == gguf::TensorType::kBF16)
    return true;
  const QuantTypeTraits* q = FindQuantType(type);
  return q != nullptr && q->is_weight_type();
}

}  // namespace

absl::StatusOr<std::vector<SourceTensor>> PrepareGguf(
    const ConvertOptions& options, gguf::GgufWriter* writer,
    RecipeModel* model) {
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
          ", which cannot be converted (supported inputs: f32, f16, bf16 "
          "and the block types q4_0 ... q6_K, iq4_nl, iq4_xs)"));
    }
  }
  // Everything is copied as is except the file type, which describes the
  // new tensors: it and the quantization version go last, as llama-quantize
  // sets them after copying the rest (so a file quantized here from the
  // same F32 file is byte-identical to llama-quantize's).
  for (const auto& [key, value] : file->metadata()) {
    if (key == "general.quantization_version" || key == "general.file_type") {
      continue;
    }
    if (key == "general.name" && !options.name.empty()) {
      writer->SetString(key, options.name);
      continue;
    }
    writer->SetValue(key, value);
  }
  SetFileType(options.type, writer);
  if (absl::StatusOr<std::string_view> arch =
          file->GetString("general.architecture");
      arch.ok()) {
    const std::string a(*arch);
    model->n_layer =
        static_cast<int32_t>(file->GetInt(a + ".block_count").value_or(0));
    const int64_t heads = file->GetInt(a + ".attention.head_count").value_or(1);
    const int64_t kv =
        file->GetInt(a + ".attention.head_count_kv").value_or(heads);
    model->n_gqa = kv > 0 ? static_cast<int32_t>(heads / kv) : 1;
  }

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
