// Writes the seed corpus for gguf_reader_fuzzer into the directory given:
// small valid GGUF files covering every value type, nested arrays, several
// tensor types and alignments, plus a few invalid ones. Each is < 8 KB.
//
//   bazel run //tests/fuzz:make_gguf_reader_seeds --
//   $PWD/tests/fuzz/corpus/gguf_reader
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/gguf/gguf.h"
#include "runtime/gguf/test_bytes.h"
#include "runtime/gguf/types.h"
#include "runtime/gguf/writer.h"

namespace {

using edgellm::gguf::GgufFile;
using edgellm::gguf::GgufWriter;
using edgellm::gguf::TensorType;
using edgellm::gguf::ValueType;
using edgellm::gguf::testing::Bytes;

bool Save(const std::string& dir, const std::string& name,
          const std::string& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::printf("%-28s %5zu bytes\n", name.c_str(), bytes.size());
  return static_cast<bool>(out);
}

std::string Pattern(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + 7 * i);
  return s;
}

GgufWriter SmallModel() {
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetUint32("llama.embedding_length", 32);
  w.SetFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.SetBool("tokenizer.ggml.add_bos_token", true);
  w.SetStringArray("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a"});
  w.SetFloat32Array("tokenizer.ggml.scores", {0, 0, 0, -1});
  w.SetInt32Array("tokenizer.ggml.token_type", {2, 3, 3, 1});
  w.AddTensor("token_embd.weight", TensorType::kQ8_0, {32, 4},
              Pattern(4 * 34, 1));
  w.AddTensor("output_norm.weight", TensorType::kF32, {32}, Pattern(128, 2));
  w.AddTensor("blk.0.attn_q.weight", TensorType::kF16, {8, 2}, Pattern(32, 3));
  return w;
}

std::string EveryScalar() {
  GgufWriter w;
  w.SetUint8("u8", 1);
  w.SetInt8("i8", -1);
  w.SetUint16("u16", 2);
  w.SetInt16("i16", -2);
  w.SetUint32("u32", 3);
  w.SetInt32("i32", -3);
  w.SetUint64("u64", 4);
  w.SetInt64("i64", -4);
  w.SetFloat32("f32", 0.5f);
  w.SetFloat64("f64", 0.25);
  w.SetBool("bool", false);
  w.SetString("str", "text");
  return *w.WriteToString();
}

std::string NestedArrays() {
  Bytes b;
  b.Header(3, 0, 3)
      .Str("nested")
      .Type(ValueType::kArray)
      .Type(ValueType::kArray)
      .U64(2)
      .Type(ValueType::kUint8)
      .U64(2)
      .U8(1)
      .U8(2)
      .Type(ValueType::kString)
      .U64(1)
      .Str("x");
  b.Str("bools")
      .Type(ValueType::kArray)
      .Type(ValueType::kBool)
      .U64(2)
      .U8(0)
      .U8(1);
  b.Str("i64s")
      .Type(ValueType::kArray)
      .Type(ValueType::kInt64)
      .U64(1)
      .Put<int64_t>(-9);
  return b.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_gguf_reader_seeds OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  // (name, bytes, whether the reader must accept it)
  struct Seed {
    std::string name, bytes;
    bool valid;
  };
  std::vector<Seed> seeds;
  const std::string model = *SmallModel().WriteToString();
  seeds.push_back({"valid_small_model.gguf", model, true});
  {
    GgufWriter w = SmallModel();
    w.SetUint32("general.alignment", 8);
    seeds.push_back({"valid_align8.gguf", *w.WriteToString(), true});
  }
  std::string v2 = model;
  v2[4] = 2;
  seeds.push_back({"valid_v2.gguf", v2, true});
  seeds.push_back({"valid_every_scalar.gguf", EveryScalar(), true});
  seeds.push_back({"valid_nested_arrays.gguf", NestedArrays(), true});
  Bytes header;
  header.Header(3, 0, 0);
  seeds.push_back({"valid_header_only.gguf", header.str(), true});
  seeds.push_back(
      {"invalid_truncated.gguf", model.substr(0, model.size() / 2), false});
  std::string v1 = model;
  v1[4] = 1;
  seeds.push_back({"invalid_v1.gguf", v1, false});
  std::string magic = model;
  magic[0] = 'X';
  seeds.push_back({"invalid_magic.gguf", magic, false});

  bool ok = true;
  for (const Seed& s : seeds) {
    const bool parses =
        GgufFile::FromBuffer(s.bytes.data(), s.bytes.size()).ok();
    if (parses != s.valid || s.bytes.size() >= 8192) {
      std::fprintf(stderr, "%s: parses=%d, %zu bytes\n", s.name.c_str(), parses,
                   s.bytes.size());
      ok = false;
    }
    ok &= Save(dir, s.name, s.bytes);
  }
  return ok ? 0 : 1;
}
