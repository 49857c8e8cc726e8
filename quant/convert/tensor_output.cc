#include "quant/convert/tensor_output.h"

#include <cstring>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "quant/fp16.h"
#include "quant/q8_0.h"
#include "quant/type_traits.h"
#include "util/status_macros.h"

namespace edgellm::quant {

absl::StatusOr<OutputType> ParseOutputType(const std::string& name) {
  return ParseFileType(name);
}

std::string OutputTypeName(OutputType type) { return FileTypeName(type); }

uint32_t LlamaFileType(OutputType type) { return static_cast<uint32_t>(type); }

int64_t SourceTensor::num_elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::vector<gguf::TensorType> ChooseTensorTypes(
    const std::vector<SourceTensor>& tensors, OutputType type,
    const RecipeModel& model, std::vector<std::string>* reasons) {
  std::vector<RecipeTensor> r;
  for (const SourceTensor& t : tensors) {
    // A tensor we decode to f32 keeps F32/F16/BF16 where the recipe keeps
    // its type; anything else (a Q8_0 norm) becomes F32.
    r.push_back(
        {t.name, t.dims, t.read_raw ? t.raw_type : gguf::TensorType::kF32});
  }
  const std::vector<RecipeChoice> choices =
      quant::ChooseTensorTypes(type, r, model);
  std::vector<gguf::TensorType> types;
  reasons->clear();
  for (const RecipeChoice& c : choices) {
    types.push_back(c.type);
    reasons->push_back(c.note);
  }
  return types;
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
    default:
      break;
  }
  const QuantTypeTraits* q = FindQuantType(type);
  if (q == nullptr || !q->is_weight_type()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot encode tensor type ", static_cast<int>(type)));
  }
  const int64_t row = dims.empty() ? 0 : dims[0];
  if (row <= 0 || row % q->block_values != 0 ||
      static_cast<int64_t>(n) % row != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot encode rows of ", row, " values as ", q->name));
  }
  // Row by row (what ggml_quantize_chunk does; the reference quantizers
  // would give the same bytes on the whole tensor as one row, since blocks
  // never straddle rows).
  const int64_t row_bytes = q->RowBytes(row);
  const int64_t rows = static_cast<int64_t>(n) / row;
  out->resize(start + static_cast<size_t>(rows * row_bytes));
  for (int64_t r = 0; r < rows; ++r) {
    q->quantize(values.data() + r * row, out->data() + start + r * row_bytes,
                row);
  }
  return absl::OkStatus();
}

void SetFileType(OutputType type, gguf::GgufWriter* writer) {
  if (IsQuantizedFileType(type)) {
    writer->SetUint32("general.quantization_version", 2);
  }
  writer->SetUint32("general.file_type", LlamaFileType(type));
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
                const RecipeModel& model, std::ostream* log,
                gguf::GgufWriter* writer) {
  auto progress = std::make_shared<Progress>();
  progress->total = tensors.size();
  progress->log = log;
  std::vector<std::string> reasons;
  const std::vector<gguf::TensorType> types =
      ChooseTensorTypes(tensors, type, model, &reasons);
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (IsQuantizedFileType(type)) {
    std::vector<std::string> names;
    for (const SourceTensor& t : tensors) names.push_back(t.name);
    order = LlamaQuantizeTensorOrder(names);
  }
  for (size_t idx : order) {
    SourceTensor& tensor = tensors[idx];
    const gguf::TensorType out_type = types[idx];
    const std::string& reason = reasons[idx];
    if (!reason.empty() && log != nullptr) {
      *log << tensor.name << ": " << reason << "\n";
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
