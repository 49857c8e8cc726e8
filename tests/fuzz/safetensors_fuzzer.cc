// libFuzzer target for the safetensors parser: any input must yield a Status
// or a file whose every tensor lies inside the input, holds exactly the bytes
// its shape and dtype need, overlaps no other, and converts to f32. Built
// with clang by tools/fuzz.sh; the seed corpus (make_safetensors_seeds) is
// replayed by //tests/fuzz:safetensors_fuzzer_replay_test.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "quant/convert/safetensors.h"

namespace {

using edgellm::quant::SafetensorsDtype;
using edgellm::quant::SafetensorsFile;
using edgellm::quant::SafetensorsTensor;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

volatile float g_sink = 0;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = SafetensorsFile::FromBuffer(data, size, "fuzz");
  if (!file.ok()) return 0;
  const uint8_t* previous_end = nullptr;
  for (const SafetensorsTensor& t : (*file)->tensors()) {
    Check((*file)->Find(t.name) != nullptr);
    Check(t.data >= data && t.size_bytes <= size &&
          t.data + t.size_bytes <= data + size);
    Check(previous_end == nullptr || t.data >= previous_end);
    previous_end = t.data + t.size_bytes;
    const int64_t n = t.num_elements();
    Check(n >= 0);
    for (int64_t d : t.shape) Check(d >= 0);
    if (t.element_size != 0) {
      Check(static_cast<uint64_t>(n) * t.element_size == t.size_bytes);
    }
    if (t.dtype == SafetensorsDtype::kOther) continue;
    std::vector<float> out(n);
    Check(edgellm::quant::SafetensorsToF32(t, out.data()).ok());
    if (n > 0) g_sink = g_sink + out[0] + out[n - 1];
  }
  return 0;
}
