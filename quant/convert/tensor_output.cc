#include "quant/convert/tensor_output.h"

#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"
#include "util/status_macros.h"

namespace edgellm::quant {

absl::StatusOr<OutputType> ParseOutputType(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "f32") return OutputType::kF32;
  if (lower == "f16") return OutputType::kF16;
  if (lower == "q8_0") return OutputType::kQ8_0;
  return absl::InvalidArgumentError(absl::StrCat(
      "unsupported output type '", name, "' (supported: q8_0, f16, f32)"));
}

std::string OutputTypeName(OutputType type) {
  switch (type) {
    case OutputType::kF32:
      return "f32";
    case OutputType::kF16:
      return "f16";
    case OutputType::kQ8_0:
      return "q8_0";
  }
  return "?";
}

uint32_t LlamaFileType(OutputType type) {
  switch (type) {
    case OutputType::kF32:
      return 0;
    case OutputType::kF16:
      return 1;
    case OutputType::kQ8_0:
      return 7;
  }
  return 0;
}

int64_t SourceTensor::num_elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

gguf::TensorType ChooseTensorType(const SourceTensor& tensor, OutputType type,
                                  std::string* reason) {
  if (type == OutputType::kF32 || tensor.dims.size() < 2) {
    return gguf::TensorType::kF32;
  }
  if (type == OutputType::kF16) return gguf::TensorType::kF16;
  if (tensor.dims[0] % kQ8_0BlockSize != 0) {
    if (reason != nullptr) {
      *reason = absl::StrCat("rows of ", tensor.dims[0],
                             " values are not a multiple of the q8_0 block "
                             "size ",
                             kQ8_0BlockSize);
    }
    return gguf::TensorType::kF32;
  }
  return gguf::TensorType::kQ8_0;
}

absl::Status EncodeTensor(const std::vector<float>& values,
                          const std::vector<int64_t>& dims,
                          gguf::TensorType type, std::string* out) {
  const size_t n = values.size();
  const size_t start = out->size();
  switch (type) {
    case gguf::TensorType::kF32:
      out->resize(start + n * sizeof(float));
      std::memcpy(out->data() + start, values.data(), n * sizeof(float));
      return absl::OkStatus();
    case gguf::TensorType::kF16:
    case gguf::TensorType::kBF16: {
      out->resize(start + n * sizeof(uint16_t));
      char* p = out->data() + start;
      for (size_t i = 0; i < n; ++i) {
        const uint16_t h = type == gguf::TensorType::kF16
                               ? Fp32ToFp16(values[i])
                               : Fp32ToBf16(values[i]);
        std::memcpy(p + i * sizeof(h), &h, sizeof(h));
      }
      return absl::OkStatus();
    }
    case gguf::TensorType::kQ8_0: {
      const int64_t row = dims.empty() ? 0 : dims[0];
      if (row <= 0 || row % kQ8_0BlockSize != 0 || n % row != 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot encode rows of ", row, " values as q8_0"));
      }
      out->resize(start + n / kQ8_0BlockSize * sizeof(BlockQ8_0));
      // Blocks never straddle rows since rows hold whole blocks, so the
      // tensor quantizes as one long row.
      std::vector<BlockQ8_0> blocks(n / kQ8_0BlockSize);
      QuantizeRowQ8_0(values.data(), blocks.data(), n);
      std::memcpy(out->data() + start, blocks.data(),
                  blocks.size() * sizeof(BlockQ8_0));
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("cannot encode tensor type ", static_cast<int>(type)));
  }
}

void SetFileType(OutputType type, gguf::GgufWriter* writer) {
  writer->SetUint32("general.file_type", LlamaFileType(type));
  if (type == OutputType::kQ8_0) {
    writer->SetUint32("general.quantization_version", 2);
  }
}

namespace {

std::string TypeName(gguf::TensorType type) {
  absl::StatusOr<gguf::TensorTypeTraits> traits =
      gguf::GetTensorTypeTraits(static_cast<uint32_t>(type));
  return traits.ok() ? std::string(traits->name)
                     : absl::StrCat("type", static_cast<int>(type));
}

std::string Megabytes(uint64_t bytes) {
  return absl::StrFormat("%.2f MB", bytes / 1e6);
}

struct Progress {
  size_t total = 0;
  size_t done = 0;
  uint64_t bytes = 0;
  std::ostream* log = nullptr;
};

}  // namespace

void AddTensors(std::vector<SourceTensor> tensors, OutputType type,
                std::ostream* log, gguf::GgufWriter* writer) {
  auto progress = std::make_shared<Progress>();
  progress->total = tensors.size();
  progress->log = log;
  for (SourceTensor& tensor : tensors) {
    std::string reason;
    const gguf::TensorType out_type = ChooseTensorType(tensor, type, &reason);
    if (!reason.empty() && log != nullptr) {
      *log << tensor.name << ": kept as f32: " << reason << "\n";
    }
    const std::string name = tensor.name;
    std::vector<int64_t> dims = tensor.dims;
    auto produce = [progress, out_type,
                    source = std::make_shared<SourceTensor>(std::move(tensor))](
                       std::string* out) -> absl::Status {
      const size_t before = out->size();
      if (source->read_raw && source->raw_type == out_type) {
        EDGELLM_RETURN_IF_ERROR(source->read_raw(out));
      } else {
        std::vector<float> values;
        EDGELLM_RETURN_IF_ERROR(source->read_f32(&values));
        if (static_cast<int64_t>(values.size()) != source->num_elements()) {
          return absl::InternalError(
              absl::StrCat("tensor ", source->name, ": read ", values.size(),
                           " values, expected ", source->num_elements()));
        }
        EDGELLM_RETURN_IF_ERROR(
            EncodeTensor(values, source->dims, out_type, out));
      }
      ++progress->done;
      progress->bytes += out->size() - before;
      if (progress->log != nullptr) {
        *progress->log << absl::StrFormat(
            "[%*d/%d] %-32s %-5s %-14s -> %-5s %10s written\n",
            static_cast<int>(std::to_string(progress->total).size()),
            progress->done, progress->total, source->name, source->source_type,
            absl::StrCat("{", absl::StrJoin(source->dims, ", "), "}"),
            TypeName(out_type), Megabytes(progress->bytes));
        progress->log->flush();
      }
      return absl::OkStatus();
    };
    writer->AddTensor(name, out_type, std::move(dims),
                      gguf::GgufWriter::Producer(std::move(produce)));
  }
}

}  // namespace edgellm::quant
