#include "ops/convert.h"

#include "absl/strings/str_cat.h"
#include "quant/fp16.h"

namespace edgellm::ops {

void ConvertF32ToF16Ref(const float* x, size_t rows, size_t channels,
                        uint16_t* y) {
  for (size_t i = 0; i < rows * channels; ++i) y[i] = quant::Fp32ToFp16(x[i]);
}

absl::StatusOr<std::unique_ptr<F32ToF16Converter>> F32ToF16Converter::Create(
    size_t channels) {
  if (channels == 0) {
    return absl::InvalidArgumentError("convert: channels must be positive");
  }
  xnn_operator_t op = nullptr;
  const xnn_status status = xnn_create_convert_nc_f32_f16(
      channels, /*input_stride=*/channels, /*output_stride=*/channels,
      /*flags=*/0, &op);
  if (status != xnn_status_success) {
    return absl::InternalError(
        absl::StrCat("xnn_create_convert_nc_f32_f16 failed with status ",
                     status, " (was xnn_initialize called?)"));
  }
  return std::unique_ptr<F32ToF16Converter>(new F32ToF16Converter(op));
}

F32ToF16Converter::~F32ToF16Converter() { xnn_delete_operator(op_); }

absl::Status F32ToF16Converter::Run(const float* x, size_t rows, uint16_t* y) {
  if (rows == 0) return absl::OkStatus();
  xnn_status status =
      xnn_setup_convert_nc_f32_f16(op_, rows, x, y, /*threadpool=*/nullptr);
  if (status == xnn_status_success) status = xnn_run_operator(op_, nullptr);
  if (status != xnn_status_success) {
    return absl::InternalError(
        absl::StrCat("XNNPACK f32->f16 convert failed with status ", status));
  }
  return absl::OkStatus();
}

}  // namespace edgellm::ops
