#include "quant/convert/test_util.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "nlohmann/json.hpp"
#include "quant/fp16.h"

namespace edgellm::quant::testing {

std::string EncodeAs(const std::string& dtype, const std::vector<float>& v) {
  std::string out;
  for (float x : v) {
    if (dtype == "F32") {
      out.append(reinterpret_cast<const char*>(&x), sizeof(x));
    } else {
      const uint16_t h = dtype == "F16" ? Fp32ToFp16(x) : Fp32ToBf16(x);
      out.append(reinterpret_cast<const char*>(&h), sizeof(h));
    }
  }
  return out;
}

std::string MakeSafetensors(const std::vector<FakeTensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "pt"}};
  std::string data;
  for (const FakeTensor& t : tensors) {
    header[t.name] = {
        {"dtype", t.dtype},
        {"shape", t.shape},
        {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
    data += t.bytes;
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text.push_back(' ');
  const uint64_t n = text.size();
  std::string out(reinterpret_cast<const char*>(&n), sizeof(n));
  return out + text + data;
}

void WriteFileOrDie(const std::string& path, const std::string& contents) {
  std::filesystem::create_directories(
      std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << contents;
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
}

std::string MakeTempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::filesystem::path dir =
      std::filesystem::path(tmp != nullptr ? tmp : "/tmp") / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace edgellm::quant::testing
