// Every weight type against ggml's own quantization vectors
// (../shared/reference/quant_vectors/*.qvec, made by llama.cpp's ggml):
//   q       our reference quantizer's bytes equal ggml_quantize_chunk's
//           (what llama-quantize writes without an importance matrix);
//   deq     our dequantization is bit-exact with ggml's to_float;
//   act_q   our activation quantizer (the type's partner format) equals
//           ggml-cpu's from_float byte for byte;
//   dot     our reference dot product (ops/kernels/quant_gemm.h) is within
//           1e-5 relative of ggml-cpu's vec_dot, or 1e-6 * sum |deq * act_deq|
//           absolute for results near 0.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/quant_gemm.h"
#include "quant/type_traits.h"
#include "tests/testing/qvec_file.h"
#include "tests/testing/shared_dir.h"

namespace edgellm {
namespace {

using gguf::TensorType;

// The types the reference data covers; all of them must be there.
const std::set<std::string> kExpectedTypes = {
    "q4_0", "q4_1", "q5_0", "q5_1", "q8_0",   "q2_K",
    "q3_K", "q4_K", "q5_K", "q6_K", "iq4_nl", "iq4_xs"};

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

float RowDot(TensorType type, const uint8_t* w, const uint8_t* x,
             size_t n_blocks) {
  if (type == TensorType::kQ8_0) {
    float y = 0;
    ops::kernels::Q8_0GemmArgs a{reinterpret_cast<const quant::BlockQ8_0*>(w),
                                 reinterpret_cast<const quant::BlockQ8_0*>(x),
                                 n_blocks,
                                 1,
                                 nullptr,
                                 &y,
                                 1};
    ops::kernels::Q8_0GemmRef(a, 0, 1);
    return y;
  }
  return ops::kernels::QuantRowDotRef(type)(w, x, n_blocks);
}

// The first differing byte of a row, or -1.
long FirstDiff(const uint8_t* a, const uint8_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return static_cast<long>(i);
  }
  return -1;
}

void CheckFile(const std::string& path) {
  absl::StatusOr<testing::QvecFile> f = testing::ReadQvecFile(path);
  ASSERT_TRUE(f.ok()) << f.status();
  const auto type = static_cast<TensorType>(f->ggml_type);
  const quant::QuantTypeTraits* traits = quant::FindQuantType(type);
  ASSERT_NE(traits, nullptr) << path << ": no traits for " << f->type_name;
  ASSERT_TRUE(traits->is_weight_type());
  EXPECT_EQ(f->type_name, traits->name);
  EXPECT_EQ(f->vec_dot_type, static_cast<uint32_t>(traits->vec_dot_type));
  const ops::kernels::ActivationFormat* act =
      ops::kernels::ActivationFormatFor(type);
  ASSERT_NE(act, nullptr);
  EXPECT_EQ(act->type, traits->vec_dot_type);
  ASSERT_FALSE(f->sections.empty());
  for (const testing::QvecSection& s : f->sections) {
    const size_t n = s.n_per_row;
    ASSERT_EQ(traits->RowBytes(n), s.row_bytes);
    ASSERT_EQ(act->RowBytes(n), s.act_row_bytes);
    const std::string where = absl::StrCat(f->type_name, " n=", n);

    std::vector<uint8_t> act_q(s.act_row_bytes);
    act->quantize(s.act.data(), act_q.data(), n);
    EXPECT_EQ(FirstDiff(act_q.data(), s.act_q.data(), act_q.size()), -1)
        << where << ": activation bytes differ from ggml's from_float";

    for (size_t r = 0; r < s.n_rows; ++r) {
      const std::string row = absl::StrCat(where, " row ", r);
      std::vector<uint8_t> q(s.row_bytes);
      traits->quantize(s.src.data() + r * n, q.data(), n);
      const uint8_t* want_q = s.q.data() + r * s.row_bytes;
      const long diff = FirstDiff(q.data(), want_q, q.size());
      EXPECT_EQ(diff, -1) << row << ": quantized bytes differ first at byte "
                          << diff << " (block " << diff / traits->block_bytes
                          << ")";

      std::vector<float> deq(n);
      traits->dequantize(want_q, deq.data(), n);
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(Bits(deq[i]), Bits(s.deq[r * n + i]))
            << row << " value " << i << ": " << deq[i] << " vs ggml "
            << s.deq[r * n + i];
      }

      const float dot =
          RowDot(type, want_q, s.act_q.data(), n / traits->block_values);
      double abs_sum = 0;
      for (size_t i = 0; i < n; ++i) {
        abs_sum += std::fabs(double{s.deq[r * n + i]} * s.act_deq[i]);
      }
      const double tol =
          std::max(1e-5 * std::fabs(double{s.dot[r]}), 1e-6 * abs_sum);
      EXPECT_NEAR(dot, s.dot[r], tol) << row << ": dot product";
    }
  }
}

TEST(QuantVectorsTest, EveryTypeMatchesGgml) {
  const std::string shared = testing::SharedDirOrEmpty();
  if (shared.empty()) GTEST_SKIP() << testing::kNoSharedMessage;
  const std::string dir = shared + "/reference/quant_vectors";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir << " is missing";
  std::set<std::string> seen;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".qvec") continue;
    SCOPED_TRACE(entry.path().string());
    CheckFile(entry.path().string());
    seen.insert(entry.path().stem().string());
  }
  EXPECT_EQ(seen, kExpectedTypes);
}

}  // namespace
}  // namespace edgellm
