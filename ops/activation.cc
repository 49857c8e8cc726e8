#include "ops/activation.h"

#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <new>
#include <vector>

#include "ops/gelu_kernel.h"
#include "quant/fp16.h"

#if defined(__x86_64__)
#include <cpuinfo.h>
#endif

namespace edgellm::ops {
namespace {

// Elements per parallel task; expf costs ~10 ns, so 4096 is ~40 us.
constexpr size_t kMinElementsPerTask = 4096;

// SwiGlu goes through XNNPACK in chunks of this many elements: the
// intermediate silu(gate) lives in a per-thread buffer of this size (64 KiB,
// stays in L2 between the three passes) instead of a buffer of size n.
constexpr size_t kSwiGluChunk = 16384;

inline float SiluOne(float x) { return x / (1.0f + std::exp(-x)); }

// ggml's constants and operation order (ggml-cpu vec.h ggml_gelu_f32).
constexpr float kGeluCoefA = 0.044715f;
constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
using gelu_internal::kGeluTableLimit;

inline float GeluTanhOne(float x) {
  return 0.5f * x *
         (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + kGeluCoefA * x * x)));
}

inline float GeluFp16One(float x) {
  if (x <= -kGeluTableLimit) return 0.0f;
  if (x >= kGeluTableLimit) return x;
  const float h = quant::Fp16ToFp32(quant::Fp32ToFp16(x));
  return quant::Fp16ToFp32(quant::Fp32ToFp16(GeluTanhOne(h)));
}

// gelu of every fp16 bit pattern, as f32 (the fp16 result widened): 256 KiB.
const float* GeluTable() {
  static const std::vector<float>* const table = [] {
    auto* t = new std::vector<float>(size_t{1} << 16);
    for (size_t i = 0; i < t->size(); ++i) {
      const float h = quant::Fp16ToFp32(static_cast<uint16_t>(i));
      (*t)[i] = quant::Fp16ToFp32(quant::Fp32ToFp16(GeluTanhOne(h)));
    }
    return t;
  }();
  return table->data();
}

inline float GeluTableOne(const float* table, float v) {
  return v <= -kGeluTableLimit  ? 0.0f
         : v >= kGeluTableLimit ? v
                                : table[quant::Fp32ToFp16(v)];
}

void GeluTablePortable(const float* table, const float* x, size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = GeluTableOne(table, x[i]);
}

// The XNNPACK operators of SwiGlu: sigmoid_nc_f32 with channels = 1 (so a
// call of any n is just batch = n at setup) and multiply_nd_f32 (1-D shape
// set at setup). XNNPACK operators hold their setup state, so they cannot be
// shared between threads that compute at the same time: each calling thread
// creates its own set on first use (thread_local) and reuses it, so the
// steady state allocates nothing.
class SwiGluOps {
 public:
  SwiGluOps() {
    if (xnn_initialize(/*allocator=*/nullptr) != xnn_status_success) return;
    if (xnn_create_sigmoid_nc_f32(/*channels=*/1, /*input_stride=*/1,
                                  /*output_stride=*/1, /*flags=*/0,
                                  &sigmoid_) != xnn_status_success) {
      return;
    }
    const float inf = std::numeric_limits<float>::infinity();
    if (xnn_create_multiply_nd_f32(-inf, inf, /*flags=*/0, &multiply_) !=
        xnn_status_success) {
      return;
    }
    tmp_.reset(new (std::nothrow) float[kSwiGluChunk]);
  }
  ~SwiGluOps() {
    if (sigmoid_ != nullptr) xnn_delete_operator(sigmoid_);
    if (multiply_ != nullptr) xnn_delete_operator(multiply_);
  }
  SwiGluOps(const SwiGluOps&) = delete;
  SwiGluOps& operator=(const SwiGluOps&) = delete;

  bool ok() const { return tmp_ != nullptr; }

  // y[0, n) = silu(gate) * up for n <= kSwiGluChunk; y may alias gate or up
  // (each pass reads an element before it writes it, and the first pass
  // writes only tmp). Returns false if XNNPACK reports an error.
  bool Chunk(const float* gate, const float* up, size_t n, float* y,
             pthreadpool_t threads) {
    float* tmp = tmp_.get();
    const size_t shape[1] = {n};
    return xnn_setup_sigmoid_nc_f32(sigmoid_, n, gate, tmp, threads) ==
               xnn_status_success &&
           xnn_run_operator(sigmoid_, threads) == xnn_status_success &&
           xnn_setup_multiply_nd_f32(multiply_, 1, shape, 1, shape, tmp, gate,
                                     tmp, threads) == xnn_status_success &&
           xnn_run_operator(multiply_, threads) == xnn_status_success &&
           xnn_setup_multiply_nd_f32(multiply_, 1, shape, 1, shape, tmp, up, y,
                                     threads) == xnn_status_success &&
           xnn_run_operator(multiply_, threads) == xnn_status_success;
  }

 private:
  xnn_operator_t sigmoid_ = nullptr;
  xnn_operator_t multiply_ = nullptr;
  std::unique_ptr<float[]> tmp_;
};

}  // namespace

void SiluRef(const float* x, size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = SiluOne(x[i]);
}

void SwiGluRef(const float* gate, const float* up, size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = SiluOne(gate[i]) * up[i];
}

namespace gelu_internal {

const GeluKernel kGeluKernelPortable = {"portable", GeluTablePortable};

std::vector<const GeluKernel*> SupportedGeluKernels() {
  std::vector<const GeluKernel*> kernels = {&kGeluKernelPortable};
#if defined(__x86_64__)
  if (cpuinfo_initialize() && cpuinfo_has_x86_avx2() &&
      cpuinfo_has_x86_f16c()) {
    kernels.push_back(&kGeluKernelAvx2);
  }
#endif
  return kernels;
}

const GeluKernel& BestGeluKernel() {
  static const GeluKernel* const best = SupportedGeluKernels().back();
  return *best;
}

}  // namespace gelu_internal

void GeluTanhRef(const float* x, size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = GeluTanhOne(x[i]);
}

void GeluRef(const float* x, size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = GeluFp16One(x[i]);
}

void Gelu(const float* x, size_t n, float* y, ThreadPool* pool) {
  const float* table = GeluTable();
  const gelu_internal::GeluKernel& kernel = gelu_internal::BestGeluKernel();
  ParallelFor(
      pool, n, BalancedTile(pool, n, kMinElementsPerTask),
      [&](size_t b, size_t e) { kernel.run(table, x + b, e - b, y + b); });
}

void GeGluRef(const float* gate, const float* up, size_t n, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = GeluFp16One(gate[i]) * up[i];
}

void GeGlu(const float* gate, const float* up, size_t n, float* y,
           ThreadPool* pool) {
  const float* table = GeluTable();
  const gelu_internal::GeluKernel& kernel = gelu_internal::BestGeluKernel();
  // The GELU of a stack-sized piece through the vectorized table kernel,
  // then the product (bit-identical to the lookup element by element, which
  // took ten times the instructions: 2.2% of a Gemma 3 1B prompt's, 0.2%
  // now). A piece of its own, so `y` may be `gate` or `up`.
  constexpr size_t kPiece = 512;
  ParallelFor(pool, n, BalancedTile(pool, n, kMinElementsPerTask),
              [&](size_t b, size_t e) {
                float gelu[kPiece];
                for (size_t i = b; i < e; i += kPiece) {
                  const size_t m = std::min(kPiece, e - i);
                  kernel.run(table, gate + i, m, gelu);
                  for (size_t j = 0; j < m; ++j) y[i + j] = gelu[j] * up[i + j];
                }
              });
}

void Silu(const float* x, size_t n, float* y, ThreadPool* pool) {
  ParallelFor(pool, n, BalancedTile(pool, n, kMinElementsPerTask),
              [&](size_t b, size_t e) { SiluRef(x + b, e - b, y + b); });
}

void SwiGlu(const float* gate, const float* up, size_t n, float* y,
            ThreadPool* pool) {
  // Chunks run on this pool's own workers, each with its own XNNPACK
  // operators run single-threaded (nullptr pthreadpool). Handing big calls to
  // pthreadpool instead left its workers spinning after every chunk while
  // the Q8_0 GEMM ran on our workers: on 2 cores that was 32% of a tinyllama
  // pp128 profile (docs/performance.md).
  ParallelFor(
      pool, n, BalancedTile(pool, n, kSwiGluChunk), [&](size_t b, size_t e) {
        thread_local SwiGluOps ops;
        for (size_t i = b; i < e; i += kSwiGluChunk) {
          const size_t len = std::min(kSwiGluChunk, e - i);
          // Scalar only if XNNPACK is unusable (initialization or
          // allocation failed, or it reported an error).
          if (!ops.ok() || !ops.Chunk(gate + i, up + i, len, y + i, nullptr)) {
            SwiGluRef(gate + i, up + i, len, y + i);
          }
        }
      });
}

}  // namespace edgellm::ops
