// Reader for the block-quantization test vectors llama.cpp's ggml produced
// (../shared/reference/quant_vectors/<type>.qvec; the layout is written out
// in ReadQvecFile's comment). Test-only.
#ifndef EDGELLM_TESTS_TESTING_QVEC_FILE_H_
#define EDGELLM_TESTS_TESTING_QVEC_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace edgellm::testing {

struct QvecSection {
  uint32_t n_per_row = 0, n_rows = 0, row_bytes = 0, act_row_bytes = 0;
  std::vector<float> src;       // [n_rows][n_per_row] input rows
  std::vector<uint8_t> q;       // [n_rows][row_bytes] ggml_quantize_chunk
  std::vector<float> deq;       // [n_rows][n_per_row] ggml's to_float(q)
  std::vector<float> act;       // [n_per_row] the activation row
  std::vector<uint8_t> act_q;   // [act_row_bytes] ggml-cpu from_float(act)
  std::vector<float> act_deq;   // [n_per_row] d * q of act_q
  std::vector<float> dot;       // [n_rows] ggml-cpu vec_dot(q row, act_q)
  std::vector<double> dot_deq;  // [n_rows] sum deq * act_deq in double
  std::vector<double> dot_f32;  // [n_rows] sum deq * act in double
};

struct QvecFile {
  uint32_t ggml_type = 0, vec_dot_type = 0;
  std::string type_name, vec_dot_type_name;
  std::vector<QvecSection> sections;
};

absl::StatusOr<QvecFile> ReadQvecFile(const std::string& path);

}  // namespace edgellm::testing

#endif  // EDGELLM_TESTS_TESTING_QVEC_FILE_H_
