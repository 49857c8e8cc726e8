// Test helpers: build safetensors images and Hugging Face folders in memory.
#ifndef EDGELLM_QUANT_CONVERT_TEST_UTIL_H_
#define EDGELLM_QUANT_CONVERT_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

namespace edgellm::quant::testing {

struct FakeTensor {
  std::string name;
  std::string dtype;  // "F32", "F16", "BF16", ...
  std::vector<int64_t> shape;
  std::string bytes;  // raw little-endian data
};

// Encodes f32 values as `dtype` (F32, F16 or BF16) raw bytes.
std::string EncodeAs(const std::string& dtype, const std::vector<float>& v);

// A complete safetensors image holding `tensors` in order.
std::string MakeSafetensors(const std::vector<FakeTensor>& tensors);

// Writes `contents` to `path`, creating parent directories; aborts the test
// binary on failure (test code only).
void WriteFileOrDie(const std::string& path, const std::string& contents);

// A fresh empty directory under TEST_TMPDIR.
std::string MakeTempDir(const std::string& name);

}  // namespace edgellm::quant::testing

#endif  // EDGELLM_QUANT_CONVERT_TEST_UTIL_H_
