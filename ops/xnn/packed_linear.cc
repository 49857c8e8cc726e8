// PackedLinear (ops/linear.h): a thin wrapper over XNNPACK's
// fully_connected_nc_f32 operator on the shared pthreadpool.
#include <xnnpack.h>

#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ops/linear.h"
#include "quant/fp16.h"

namespace edgellm::ops {

absl::StatusOr<std::unique_ptr<PackedLinear>> PackedLinear::CreateF32(
    const float* w, size_t in, size_t out, const float* bias) {
  if (w == nullptr || in == 0 || out == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("PackedLinear: need weights and in, out > 0 (in = ", in,
                     ", out = ", out, ")"));
  }
  // Requires xnn_initialize(), done by ThreadPool::Create; calling it again
  // here is cheap and makes PackedLinear usable without a pool.
  if (xnn_initialize(nullptr) != xnn_status_success) {
    return absl::InternalError("PackedLinear: xnn_initialize failed");
  }
  xnn_operator_t op = nullptr;
  const xnn_status st = xnn_create_fully_connected_nc_f32(
      in, out, /*input_stride=*/in, /*output_stride=*/out, w, bias,
      -std::numeric_limits<float>::infinity(),
      std::numeric_limits<float>::infinity(), /*flags=*/0, &op);
  if (st != xnn_status_success) {
    return absl::InternalError(
        absl::StrCat("xnn_create_fully_connected_nc_f32(in = ", in,
                     ", out = ", out, ") failed with xnn_status ", st));
  }
  return std::unique_ptr<PackedLinear>(new PackedLinear(op, in, out));
}

absl::StatusOr<std::unique_ptr<PackedLinear>> PackedLinear::CreateF16(
    const uint16_t* w, size_t in, size_t out, const float* bias) {
  if (w == nullptr || in == 0 || out == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("PackedLinear: need weights and in, out > 0 (in = ", in,
                     ", out = ", out, ")"));
  }
  // XNNPACK 2022-02's f16 fully-connected needs native fp16 arithmetic (ARMv8.2
  // FP16), absent on x86, so convert once and use the f32 operator. The
  // temporary is freed after packing.
  std::vector<float> wf(in * out);
  for (size_t i = 0; i < wf.size(); ++i) wf[i] = quant::Fp16ToFp32(w[i]);
  return CreateF32(wf.data(), in, out, bias);
}

PackedLinear::~PackedLinear() { xnn_delete_operator(op_); }

absl::Status PackedLinear::Run(const float* x, size_t batch, float* y,
                               ThreadPool* pool) {
  if (x == nullptr || y == nullptr) {
    return absl::InvalidArgumentError("PackedLinear::Run: null x or y");
  }
  if (batch == 0) return absl::OkStatus();
  // pthreadpool's caller waits for every worker to check in, even one the
  // OS has not scheduled; small calls stay on the calling thread.
  const pthreadpool_t threads = PoolOf(PoolForWork(pool, batch * in_ * out_));
  xnn_status st = xnn_setup_fully_connected_nc_f32(op_, batch, x, y, threads);
  if (st == xnn_status_success) st = xnn_run_operator(op_, threads);
  if (st != xnn_status_success) {
    return absl::InternalError(absl::StrCat(
        "XNNPACK fully_connected_nc_f32 (in = ", in_, ", out = ", out_,
        ", batch = ", batch, ") failed with xnn_status ", st));
  }
  return absl::OkStatus();
}

}  // namespace edgellm::ops
