// f32 -> IEEE half conversion of rows (the f16 KV cache's store).
//
// Through XNNPACK's convert_nc_f32_f16 operator (a library's operator is
// the default where one fits; our own code is for what it lacks). It rounds to
// nearest even like F16C and quant::Fp32ToFp16, so the result is bit-identical
// to the reference below (tested).
//
// Not thread-safe: Run() re-binds the operator; one converter per user.
#ifndef EDGELLM_OPS_CONVERT_H_
#define EDGELLM_OPS_CONVERT_H_

#include <xnnpack.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edgellm::ops {

// Plain reference: y[i] = Fp32ToFp16(x[i]) for rows x channels values.
void ConvertF32ToF16Ref(const float* x, size_t rows, size_t channels,
                        uint16_t* y);

class F32ToF16Converter {
 public:
  // Rows of `channels` contiguous values. Needs xnn_initialize() (done by
  // the first ops::ThreadPool).
  static absl::StatusOr<std::unique_ptr<F32ToF16Converter>> Create(
      size_t channels);
  ~F32ToF16Converter();
  F32ToF16Converter(const F32ToF16Converter&) = delete;
  F32ToF16Converter& operator=(const F32ToF16Converter&) = delete;

  // Converts `rows` rows on the calling thread (rows here are short: the
  // KV rows of one store; a thread pool would cost more than it saves).
  absl::Status Run(const float* x, size_t rows, uint16_t* y);

 private:
  explicit F32ToF16Converter(xnn_operator_t op) : op_(op) {}
  xnn_operator_t op_;
};

}  // namespace edgellm::ops

#endif  // EDGELLM_OPS_CONVERT_H_
