// Writes the seed corpus for safetensors_fuzzer into the directory given:
// small valid files (every dtype the converter reads, others it only sizes,
// empty and scalar shapes, metadata) and a few invalid ones. Each < 4 KB.
//
//   bazel run //tests/fuzz:make_safetensors_seeds --
//   $PWD/tests/fuzz/corpus/safetensors
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "quant/convert/safetensors.h"
#include "quant/convert/test_util.h"

namespace {

using edgellm::quant::SafetensorsFile;
using edgellm::quant::testing::EncodeAs;
using edgellm::quant::testing::MakeSafetensors;

bool Save(const std::string& dir, const std::string& name,
          const std::string& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::printf("%-32s %5zu bytes\n", name.c_str(), bytes.size());
  return static_cast<bool>(out);
}

// A raw image: an 8-byte header length, the header, then `data`.
std::string Raw(const std::string& header, const std::string& data) {
  const uint64_t n = header.size();
  std::string image(reinterpret_cast<const char*>(&n), 8);
  return image + header + data;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_safetensors_seeds OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::vector<float> v = {1.0f, -2.5f, 0.125f, 3.0f, 65504.0f, 0.0f};
  struct Seed {
    std::string name, bytes;
    bool valid;
  };
  const std::vector<Seed> seeds = {
      {"valid_dtypes",
       MakeSafetensors(
           {{"model.embed_tokens.weight", "F32", {2, 3}, EncodeAs("F32", v)},
            {"model.norm.weight", "F16", {6}, EncodeAs("F16", v)},
            {"lm_head.weight", "BF16", {3, 2}, EncodeAs("BF16", v)},
            {"ids", "I64", {1}, std::string(8, '\x01')},
            {"mask", "BOOL", {2}, std::string("\x01\x00", 2)}}),
       true},
      {"valid_empty_and_scalar",
       Raw(R"({"e":{"dtype":"F32","shape":[0,7],"data_offsets":[0,0]},)"
           R"("s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})",
           EncodeAs("F32", {2.0f})),
       true},
      {"valid_metadata",
       Raw(R"({"__metadata__":{"format":"pt","note":"x"},)"
           R"("w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]}})",
           EncodeAs("F16", {1, 2, 3, 4})),
       true},
      {"valid_unknown_dtype",
       Raw(R"({"q":{"dtype":"Q4","shape":[3],"data_offsets":[0,5]}})",
           std::string(5, '\x07')),
       true},
      {"invalid_overflowing_shape",
       Raw(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],)"
           R"("data_offsets":[0,0]}})",
           ""),
       false},
      {"invalid_overlap",
       Raw(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
           R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
           std::string(8, '\0')),
       false},
      {"invalid_truncated",
       Raw(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
           std::string(12, '\0')),
       false},
  };
  bool ok = true;
  for (const Seed& s : seeds) {
    const bool parses =
        SafetensorsFile::FromBuffer(s.bytes.data(), s.bytes.size(), s.name)
            .ok();
    if (parses != s.valid || s.bytes.size() >= 4096) {
      std::fprintf(stderr, "%s: parses=%d, %zu bytes\n", s.name.c_str(), parses,
                   s.bytes.size());
      ok = false;
    }
    ok &= Save(dir, s.name + ".safetensors", s.bytes);
  }
  return ok ? 0 : 1;
}
