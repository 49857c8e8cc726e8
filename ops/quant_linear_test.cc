// QuantLinear over every block type and every kernel built for it, on odd
// shapes: all kernels bit-identical to the reference GEMM (one contract,
// ops/kernels/quant_gemm.h), and the reference within float rounding of a
// double-precision sum over the dequantized weights and activations (which
// checks the reference's integer decoding independently of it).
#include "ops/quant_linear.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "ops/kernels/quant_dispatch.h"
#include "ops/kernels/quant_gemm.h"
#include "ops/thread_pool.h"
#include "quant/fp16.h"
#include "quant/type_traits.h"

namespace edgellm::ops {
namespace {

// Small test shapes must still take the parallel paths on multi-thread pools.
[[maybe_unused]] const size_t kSplitEveryCall = SetMinParallelWorkForTesting(0);

using gguf::TensorType;

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

// Byte offsets of each type's fp16 scale fields in its block (ggml-common.h).
std::vector<size_t> ScaleOffsets(TensorType t) {
  switch (t) {
    case TensorType::kQ4_1:
    case TensorType::kQ5_1:
    case TensorType::kQ4_K:
    case TensorType::kQ5_K:
      return {0, 2};
    case TensorType::kQ2_K:
      return {80, 82};
    case TensorType::kQ3_K:
      return {108};
    case TensorType::kQ6_K:
      return {208};
    default:  // Q4_0, Q5_0, IQ4_NL, IQ4_XS
      return {0};
  }
}

// Rows of the type: even rows quantized from N(0, 1) floats (the blocks a
// file holds), odd rows random bytes with sane fp16 scales (every bit
// pattern of levels and sub-block scales).
std::vector<uint8_t> RandomMatrix(const quant::QuantTypeTraits& t, size_t rows,
                                  size_t cols, std::mt19937& rng) {
  const size_t row_bytes = t.RowBytes(cols);
  std::vector<uint8_t> w(rows * row_bytes);
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> mag(-10.0f, -3.0f);
  std::vector<float> x(cols);
  for (size_t r = 0; r < rows; ++r) {
    uint8_t* row = w.data() + r * row_bytes;
    if (r % 2 == 0) {
      for (float& v : x) v = n(rng);
      t.quantize(x.data(), row, static_cast<int64_t>(cols));
      continue;
    }
    for (size_t i = 0; i < row_bytes; ++i)
      row[i] = static_cast<uint8_t>(byte(rng));
    for (size_t b = 0; b < cols / t.block_values; ++b) {
      for (size_t off : ScaleOffsets(t.type)) {
        const float s = (byte(rng) % 2 ? 1 : -1) * std::exp2(mag(rng));
        const uint16_t h = quant::Fp32ToFp16(s);
        std::memcpy(row + b * t.block_bytes + off, &h, 2);
      }
    }
  }
  return w;
}

std::vector<float> RandomActivations(size_t batch, size_t in,
                                     std::mt19937& rng) {
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<float> x(batch * in);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = n(rng);
    if (i % 89 == 5) x[i] *= 30.0f;
  }
  // An all-zero activation block in the first row when there is room.
  if (in >= 512) std::fill(x.begin() + 256, x.begin() + 512, 0.0f);
  return x;
}

// What the activation blocks dequantize to (d * q per value) and, for Q8_1,
// each block's stored fp16 sum.
void DequantizeActivations(const kernels::ActivationFormat& f,
                           const uint8_t* xq, size_t in, std::vector<double>* v,
                           std::vector<double>* block_sums) {
  v->assign(in, 0.0);
  block_sums->assign(in / 32, 0.0);
  for (size_t b = 0; b < in / f.block_values; ++b) {
    const uint8_t* blk = xq + b * f.block_bytes;
    float d;
    const int8_t* q;
    if (f.type == TensorType::kQ8_K) {
      std::memcpy(&d, blk, 4);
      q = reinterpret_cast<const int8_t*>(blk + 4);
    } else {
      uint16_t h;
      std::memcpy(&h, blk, 2);
      d = quant::Fp16ToFp32(h);
      q = reinterpret_cast<const int8_t*>(
          blk + (f.type == TensorType::kQ8_1 ? 4 : 2));
      if (f.type == TensorType::kQ8_1) {
        std::memcpy(&h, blk + 2, 2);
        (*block_sums)[b] = quant::Fp16ToFp32(h);
      }
    }
    for (int i = 0; i < f.block_values; ++i) {
      (*v)[b * f.block_values + i] = double{d} * q[i];
    }
  }
}

// Sum over the row of deq(w) * deq(x) in double; for the Q8_1 types the
// minimum's term uses the activation block's fp16 sum, as the contract does.
// `abs_sum` receives the sum of the terms' magnitudes.
double ExpectedDot(const quant::QuantTypeTraits& t, const uint8_t* w_row,
                   const std::vector<double>& xd,
                   const std::vector<double>& block_sums, size_t in,
                   double* abs_sum) {
  std::vector<float> wd(in);
  t.dequantize(w_row, wd.data(), static_cast<int64_t>(in));
  double dot = 0;
  *abs_sum = 0;
  const bool q8_1 = t.vec_dot_type == TensorType::kQ8_1;
  for (size_t b = 0; b < in / 32; ++b) {
    float m = 0;
    if (q8_1) {
      uint16_t h;
      std::memcpy(&h, w_row + b * t.block_bytes + 2, 2);
      m = quant::Fp16ToFp32(h);
      dot += double{m} * block_sums[b];
      *abs_sum += std::fabs(double{m} * block_sums[b]);
    }
    for (size_t i = b * 32; i < b * 32 + 32; ++i) {
      // With the minimum taken out: wd = d * q + m in float, so the level
      // term is (wd - m), exact to one rounding of wd.
      const double term = (double{wd[i]} - m) * xd[i];
      dot += term;
      *abs_sum += std::fabs(term);
    }
  }
  return dot;
}

struct Shape {
  size_t in, out, batch;
};

std::vector<Shape> Shapes(int block_values) {
  std::vector<Shape> s;
  const std::vector<size_t> ins = block_values == 32
                                      ? std::vector<size_t>{32, 96, 544}
                                      : std::vector<size_t>{256, 768};
  for (size_t in : ins) {
    for (size_t out : {1, 3, 17, 33, 70}) {
      for (size_t batch : {1, 2, 3, 5, 9, 17}) s.push_back({in, out, batch});
    }
  }
  return s;
}

TEST(QuantLinearTest,
     EveryKernelEqualsReferenceAndReferenceEqualsDequantizedSum) {
  std::unique_ptr<ThreadPool> owned[3];
  ThreadPool* pools[3];
  for (int i = 0; i < 3; ++i) {
    owned[i] = *ThreadPool::Create(i + 1);
    pools[i] = owned[i].get();
  }
  std::mt19937 rng(99);
  int checked_types = 0;
  for (const quant::QuantTypeTraits& t : quant::QuantTypes()) {
    if (!t.is_weight_type() || t.type == TensorType::kQ8_0) continue;
    ++checked_types;
    const auto& kernels = kernels::QuantGemmKernels(t.type);
    ASSERT_FALSE(kernels.empty()) << t.name;
    ASSERT_STREQ(kernels[0].name, "ref");
    const kernels::ActivationFormat& f = *kernels::ActivationFormatFor(t.type);
    size_t shape_index = 0;
    for (const Shape& s : Shapes(t.block_values)) {
      ++shape_index;
      const std::vector<uint8_t> w = RandomMatrix(t, s.out, s.in, rng);
      const std::vector<float> x = RandomActivations(s.batch, s.in, rng);
      std::vector<float> bias(s.out);
      for (float& b : bias) b = std::normal_distribution<float>(0, 1)(rng);
      const float* bp = shape_index % 2 ? bias.data() : nullptr;
      // The reference GEMM, called directly on all rows.
      std::vector<uint8_t> xq(s.batch * f.RowBytes(s.in));
      for (size_t b = 0; b < s.batch; ++b) {
        f.quantize(x.data() + b * s.in, xq.data() + b * f.RowBytes(s.in),
                   static_cast<int64_t>(s.in));
      }
      std::vector<float> want(s.batch * s.out);
      kernels::QuantGemmArgs args{w.data(),
                                  static_cast<size_t>(t.RowBytes(s.in)),
                                  xq.data(),
                                  f.RowBytes(s.in),
                                  s.in / t.block_values,
                                  s.batch,
                                  bp,
                                  want.data(),
                                  s.out};
      kernels::QuantGemmRef(t.type)(args, 0, s.out);
      // The reference against the double-precision sum.
      std::vector<double> xd, sums;
      for (size_t b = 0; b < s.batch; ++b) {
        DequantizeActivations(f, xq.data() + b * f.RowBytes(s.in), s.in, &xd,
                              &sums);
        for (size_t o = 0; o < s.out; ++o) {
          double abs_sum;
          double e = ExpectedDot(t, w.data() + o * t.RowBytes(s.in), xd, sums,
                                 s.in, &abs_sum);
          if (bp != nullptr) e += bp[o];
          ASSERT_NEAR(want[b * s.out + o], e,
                      2e-6 * abs_sum + 1e-6 * std::fabs(e))
              << t.name << " in=" << s.in << " out=" << s.out << " b=" << b
              << " o=" << o;
        }
      }
      // Every supported kernel through QuantLinear, on several pools.
      for (const kernels::QuantGemmKernel& k : kernels) {
        if (!k.supported()) continue;
        absl::StatusOr<QuantMatrix> m =
            QuantMatrix::CreateWithKernel(k, w.data(), s.out, s.in, "w");
        ASSERT_TRUE(m.ok()) << m.status();
        std::vector<uint8_t> packed;
        if (m->wants_packing()) {
          packed.resize(w.size());
          m->UsePacked(packed.data(),
                       m->PackRows(w.data(), s.out, packed.data()));
        }
        ThreadPool* pool = pools[shape_index % 3];
        std::vector<float> got(want.size(), -1.0f);
        const QuantLinearCall call{&*m, bp, got.data()};
        ASSERT_TRUE(QuantLinear(x.data(), s.batch, {call}, pool).ok());
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_EQ(Bits(got[i]), Bits(want[i]))
              << t.name << " kernel " << k.name << " in=" << s.in
              << " out=" << s.out << " batch=" << s.batch << " i=" << i << ": "
              << got[i] << " vs " << want[i];
        }
        // Rows read back by DequantizeRow equal the type's dequantization.
        std::vector<float> row(s.in), direct(s.in);
        std::vector<uint8_t> buf(m->row_bytes());
        for (size_t o : {size_t{0}, s.out - 1}) {
          m->DequantizeRow(o, row.data(), buf.data());
          t.dequantize(w.data() + o * m->row_bytes(), direct.data(),
                       static_cast<int64_t>(s.in));
          ASSERT_EQ(std::memcmp(row.data(), direct.data(), s.in * 4), 0)
              << t.name << " " << k.name << " row " << o;
        }
      }
    }
  }
  EXPECT_EQ(checked_types, 11);
}

// Every kernel's packing keeps the tensor's size and loses nothing: whole
// 16-row groups are packed, the rest copied in place, and every row reads
// back (unpack_row) as its original GGUF bytes.
TEST(QuantLinearTest, PackedRowsReadBackExactly) {
  std::mt19937 rng(3);
  for (const quant::QuantTypeTraits& t : quant::QuantTypes()) {
    if (!t.is_weight_type() || t.type == TensorType::kQ8_0) continue;
    for (const kernels::QuantGemmKernel& k :
         kernels::QuantGemmKernels(t.type)) {
      if (k.pack == nullptr) continue;
      ASSERT_NE(k.unpack_row, nullptr) << k.name;
      for (size_t rows : {size_t{5}, size_t{16}, size_t{37}}) {
        const size_t cols = 2 * static_cast<size_t>(t.block_values);
        const std::vector<uint8_t> w = RandomMatrix(t, rows, cols, rng);
        std::vector<uint8_t> packed(w.size(), 0xee);
        const size_t n =
            k.pack(w.data(), rows, cols / t.block_values, packed.data());
        EXPECT_EQ(n, rows / 16 * 16) << t.name << " " << k.name;
        const size_t row_bytes = t.RowBytes(cols);
        std::vector<uint8_t> row(row_bytes);
        for (size_t r = 0; r < rows; ++r) {
          const uint8_t* got = packed.data() + r * row_bytes;
          if (r < n) {
            k.unpack_row(packed.data(), r, cols / t.block_values, row.data());
            got = row.data();
          }
          ASSERT_EQ(std::memcmp(got, w.data() + r * row_bytes, row_bytes), 0)
              << t.name << " " << k.name << " rows " << rows << " row " << r;
        }
      }
    }
  }
}

// Every kernel called directly on row ranges that cut 16-row groups
// anywhere (inside either half of 8, across the middle, a whole group plus
// part of the next, the unpacked tail): the rows in the range equal the
// reference GEMM's bit for bit and no other row is written. QuantLinear's
// tasks start and end on whole groups, so only this reaches the kernels'
// partial groups.
TEST(QuantLinearTest, KernelsOnOddRowRangesEqualReference) {
  std::mt19937 rng(17);
  struct Range {
    size_t begin, end;
  };
  const Range ranges[] = {{0, 37}, {3, 13}, {9, 15},  {1, 8},   {8, 16},
                          {5, 21}, {7, 9},  {16, 37}, {29, 35}, {31, 33}};
  const size_t rows = 37;  // 2 packed groups and 5 plain rows
  for (const quant::QuantTypeTraits& t : quant::QuantTypes()) {
    if (!t.is_weight_type() || t.type == TensorType::kQ8_0) continue;
    const kernels::ActivationFormat& f = *kernels::ActivationFormatFor(t.type);
    const size_t in = 3 * static_cast<size_t>(t.block_values);
    const std::vector<uint8_t> w = RandomMatrix(t, rows, in, rng);
    for (size_t batch : {1, 2, 5}) {
      const std::vector<float> x = RandomActivations(batch, in, rng);
      std::vector<uint8_t> xq(batch * f.RowBytes(in));
      for (size_t b = 0; b < batch; ++b) {
        f.quantize(x.data() + b * in, xq.data() + b * f.RowBytes(in),
                   static_cast<int64_t>(in));
      }
      std::vector<float> bias(rows);
      for (float& v : bias) v = std::normal_distribution<float>(0, 1)(rng);
      kernels::QuantGemmArgs args{w.data(),
                                  static_cast<size_t>(t.RowBytes(in)),
                                  xq.data(),
                                  f.RowBytes(in),
                                  in / t.block_values,
                                  batch,
                                  batch == 2 ? bias.data() : nullptr,
                                  nullptr,
                                  rows};
      std::vector<float> want(batch * rows);
      args.y = want.data();
      kernels::QuantGemmRef(t.type)(args, 0, rows);
      for (const kernels::QuantGemmKernel& k :
           kernels::QuantGemmKernels(t.type)) {
        if (!k.supported()) continue;
        std::vector<uint8_t> packed = w;
        kernels::QuantGemmArgs ka = args;
        if (k.pack != nullptr) {
          ka.packed_rows =
              k.pack(w.data(), rows, in / t.block_values, packed.data());
          ka.w = packed.data();
        }
        for (const Range& r : ranges) {
          std::vector<float> got(batch * rows, -7.0f);
          ka.y = got.data();
          k.fn(ka, r.begin, r.end);
          for (size_t b = 0; b < batch; ++b) {
            for (size_t o = 0; o < rows; ++o) {
              const size_t i = b * rows + o;
              const bool in_range = o >= r.begin && o < r.end;
              ASSERT_EQ(Bits(got[i]), Bits(in_range ? want[i] : -7.0f))
                  << t.name << " kernel " << k.name << " rows [" << r.begin
                  << ", " << r.end << ") batch " << batch << " b " << b
                  << " row " << o;
            }
          }
        }
      }
    }
  }
}

// Several matrices of mixed types in one call equal separate calls.
TEST(QuantLinearTest, MixedCallEqualsSeparateCalls) {
  std::unique_ptr<ThreadPool> owned = *ThreadPool::Create(2);
  ThreadPool& pool = *owned;
  std::mt19937 rng(7);
  const size_t in = 512, batch = 3;
  const TensorType types[] = {TensorType::kQ4_K, TensorType::kQ6_K,
                              TensorType::kQ4_0, TensorType::kQ5_1,
                              TensorType::kQ4_K, TensorType::kIQ4_XS};
  std::vector<std::vector<uint8_t>> ws;
  std::vector<QuantMatrix> ms;
  for (size_t i = 0; i < std::size(types); ++i) {
    const quant::QuantTypeTraits& t = *quant::FindQuantType(types[i]);
    ws.push_back(RandomMatrix(t, 20 + i, in, rng));
  }
  for (size_t i = 0; i < std::size(types); ++i) {
    absl::StatusOr<QuantMatrix> m =
        QuantMatrix::Create(types[i], ws[i].data(), 20 + i, in, "w");
    ASSERT_TRUE(m.ok()) << m.status();
    ms.push_back(*m);
  }
  const std::vector<float> x = RandomActivations(batch, in, rng);
  std::vector<std::vector<float>> together(ms.size()), apart(ms.size());
  std::vector<QuantLinearCall> calls;
  for (size_t i = 0; i < ms.size(); ++i) {
    together[i].assign(batch * ms[i].rows(), 0.0f);
    apart[i].assign(batch * ms[i].rows(), 1.0f);
    calls.push_back({&ms[i], nullptr, together[i].data()});
    const QuantLinearCall one{&ms[i], nullptr, apart[i].data()};
    ASSERT_TRUE(QuantLinear(x.data(), batch, {one}, &pool).ok());
  }
  ASSERT_TRUE(QuantLinear(x.data(), batch, calls, &pool).ok());
  for (size_t i = 0; i < ms.size(); ++i) EXPECT_EQ(together[i], apart[i]) << i;
}

// Q4_0 and Q5_0 share the Q8_0 activations and so one call (one call id)
// when they run together; their kernels fold different level offsets (8,
// 16) into per-call activation sums, which must not be mixed up. Packed, so
// the SIMD tiles run.
TEST(QuantLinearTest, PackedQ4_0AndQ5_0InOneCallEqualSeparateCalls) {
  std::unique_ptr<ThreadPool> owned = *ThreadPool::Create(2);
  std::mt19937 rng(11);
  const size_t in = 544, rows = 40;
  const TensorType types[] = {TensorType::kQ4_0, TensorType::kQ5_0,
                              TensorType::kQ4_0};
  int checked = 0;
  for (const kernels::QuantGemmKernel& k5 :
       kernels::QuantGemmKernels(TensorType::kQ5_0)) {
    if (!k5.supported()) continue;
    std::vector<std::vector<uint8_t>> ws, packed;
    std::vector<QuantMatrix> ms;
    for (TensorType type : types) {
      const kernels::QuantGemmKernel* kernel = nullptr;
      for (const kernels::QuantGemmKernel& k : kernels::QuantGemmKernels(type))
        if (std::strcmp(k.name, k5.name) == 0) kernel = &k;
      ASSERT_NE(kernel, nullptr) << k5.name;
      ws.push_back(RandomMatrix(*quant::FindQuantType(type), rows, in, rng));
      absl::StatusOr<QuantMatrix> m = QuantMatrix::CreateWithKernel(
          *kernel, ws.back().data(), rows, in, "w");
      ASSERT_TRUE(m.ok()) << m.status();
      if (m->wants_packing()) {
        packed.emplace_back(ws.back().size());
        m->UsePacked(packed.back().data(),
                     m->PackRows(ws.back().data(), rows, packed.back().data()));
      }
      ms.push_back(*m);
    }
    for (size_t batch : {1, 3, 9}) {
      const std::vector<float> x = RandomActivations(batch, in, rng);
      std::vector<std::vector<float>> together(ms.size()), apart(ms.size());
      std::vector<QuantLinearCall> calls;
      for (size_t i = 0; i < ms.size(); ++i) {
        together[i].assign(batch * rows, 0.0f);
        apart[i].assign(batch * rows, 1.0f);
        calls.push_back({&ms[i], nullptr, together[i].data()});
        const QuantLinearCall one{&ms[i], nullptr, apart[i].data()};
        ASSERT_TRUE(QuantLinear(x.data(), batch, {one}, owned.get()).ok());
      }
      ASSERT_TRUE(QuantLinear(x.data(), batch, calls, owned.get()).ok());
      for (size_t i = 0; i < ms.size(); ++i) {
        for (size_t j = 0; j < together[i].size(); ++j) {
          ASSERT_EQ(Bits(together[i][j]), Bits(apart[i][j]))
              << k5.name << " matrix " << i << " batch " << batch << " j " << j;
        }
      }
    }
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

// The quantizer QuantLinear runs for each partner format writes the same
// bytes as the format's reference quantizer, on ordinary rows and on the
// edge cases of the largest-magnitude search: ties of +m and -m (the first
// wins), all-zero blocks, NaN (skipped by the search), infinities, values
// that round to exactly +-127.5 before clamping, and tiny and huge scales.
TEST(QuantLinearTest, ActivationQuantizersAreByteIdenticalToReference) {
  std::mt19937 rng(5);
  std::normal_distribution<float> n(0.0f, 1.0f);
  const size_t in = 1024;
  int rows_checked = 0;
  for (TensorType weight :
       {TensorType::kQ4_0, TensorType::kQ4_1, TensorType::kQ4_K}) {
    const kernels::ActivationFormat& f = *kernels::ActivationFormatFor(weight);
    const kernels::ActivationQuantizeFn best =
        kernels::BestActivationQuantizer(f);
    ASSERT_NE(best, nullptr);
    for (int r = 0; r < 64; ++r) {
      std::vector<float> x(in);
      const float scale = std::exp2(static_cast<float>(r % 16) * 4 - 40);
      for (float& v : x) v = n(rng) * scale;
      switch (r % 8) {
        case 1:  // ties of +m and -m, in both orders
          x[3] = -8 * scale, x[100] = 8 * scale;
          x[300] = 8 * scale, x[301] = -8 * scale;
          break;
        case 2:  // an all-zero block and a block of one value
          std::fill(x.begin(), x.begin() + 256, 0.0f);
          std::fill(x.begin() + 256, x.begin() + 512, -0.5f);
          break;
        case 3:
          x[7] = std::numeric_limits<float>::quiet_NaN();
          x[400] = std::numeric_limits<float>::infinity();
          break;
        case 4:  // integers: iscale * x lands on exact halves
          for (size_t i = 0; i < in; ++i)
            x[i] = static_cast<float>(i % 255) - 127;
          break;
        case 5:
          x[9] = -std::numeric_limits<float>::infinity();
          x[700] = std::numeric_limits<float>::quiet_NaN();
          break;
        default:
          break;
      }
      std::vector<uint8_t> want(f.RowBytes(in), 0xaa),
          got(f.RowBytes(in), 0x55);
      f.quantize(x.data(), want.data(), static_cast<int64_t>(in));
      best(x.data(), got.data(), static_cast<int64_t>(in));
      ASSERT_EQ(want, got) << "format " << static_cast<int>(f.type) << " row "
                           << r;
      ++rows_checked;
    }
  }
  EXPECT_EQ(rows_checked, 3 * 64);
}

TEST(QuantLinearTest, BadArgumentsAreErrors) {
  std::vector<uint8_t> w(144 * 4);
  absl::StatusOr<QuantMatrix> m =
      QuantMatrix::Create(TensorType::kQ4_K, w.data(), 2, 300, "blk.0.attn_q");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("blk.0.attn_q"), std::string::npos);
  EXPECT_NE(m.status().message().find("multiple of 256"), std::string::npos);
  m = QuantMatrix::Create(TensorType::kIQ2_XXS, w.data(), 2, 256, "t");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnimplemented);
  m = QuantMatrix::Create(TensorType::kQ4_K, nullptr, 2, 256, "t");
  EXPECT_FALSE(m.ok());
  // Matrices of different widths cannot share one input.
  absl::StatusOr<QuantMatrix> a =
      QuantMatrix::Create(TensorType::kQ4_K, w.data(), 1, 256, "a");
  absl::StatusOr<QuantMatrix> b =
      QuantMatrix::Create(TensorType::kQ4_K, w.data(), 1, 512, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<float> x(512), y(2);
  const QuantLinearCall calls[] = {{&*a, nullptr, y.data()},
                                   {&*b, nullptr, y.data() + 1}};
  std::unique_ptr<ThreadPool> pool = *ThreadPool::Create(1);
  EXPECT_FALSE(QuantLinear(x.data(), 1, calls, pool.get()).ok());
  // No pool and no scratch.
  EXPECT_FALSE(QuantLinear(x.data(), 1, {calls[0]}, nullptr).ok());
}

}  // namespace
}  // namespace edgellm::ops
