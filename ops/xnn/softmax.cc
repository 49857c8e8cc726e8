// XnnSoftmax (ops/softmax.h): a thin wrapper over XNNPACK softmax_nc_f32.
#include "ops/softmax.h"

#include <xnnpack.h>

#include "absl/strings/str_cat.h"

namespace edgellm::ops {

absl::StatusOr<std::unique_ptr<XnnSoftmax>> XnnSoftmax::Create(size_t n) {
  if (n == 0) return absl::InvalidArgumentError("XnnSoftmax: n must be > 0");
  if (xnn_initialize(nullptr) != xnn_status_success) {
    return absl::InternalError("XnnSoftmax: xnn_initialize failed");
  }
  xnn_operator_t op = nullptr;
  const xnn_status st =
      xnn_create_softmax_nc_f32(n, /*input_stride=*/n, /*output_stride=*/n,
                                /*flags=*/0, &op);
  if (st != xnn_status_success) {
    return absl::InternalError(absl::StrCat("xnn_create_softmax_nc_f32(", n,
                                            ") failed with xnn_status ", st));
  }
  return std::unique_ptr<XnnSoftmax>(new XnnSoftmax(op));
}

XnnSoftmax::~XnnSoftmax() { xnn_delete_operator(op_); }

absl::Status XnnSoftmax::Run(const float* x, size_t rows, float* y,
                             ThreadPool* pool) {
  xnn_status st = xnn_setup_softmax_nc_f32(op_, rows, x, y, PoolOf(pool));
  if (st == xnn_status_success) st = xnn_run_operator(op_, PoolOf(pool));
  if (st != xnn_status_success) {
    return absl::InternalError(
        absl::StrCat("XNNPACK softmax_nc_f32 failed with xnn_status ", st));
  }
  return absl::OkStatus();
}

}  // namespace edgellm::ops
