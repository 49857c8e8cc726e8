#include "ops/attention.h"

#include <cmath>
#include <cstring>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "ops/softmax.h"
#include "quant/fp16.h"

namespace edgellm::ops {
namespace {

// Independent accumulators in the fast dot product: enough to hide FP add
// latency and let the compiler use full vectors.
constexpr size_t kDotLanes = 8;
// The largest head_dim whose f16-rounded q fits the stack buffer.
constexpr size_t kMaxHeadDim = 1024;

absl::Status Check(const AttentionShape& s, const void* q, size_t n_tokens,
                   size_t pos0, const void* k, const void* v, const float* out,
                   const float* scratch, size_t scratch_floats) {
  if (s.n_heads == 0 || s.n_kv_heads == 0 || s.head_dim == 0 ||
      s.n_heads % s.n_kv_heads != 0 || s.head_dim > kMaxHeadDim) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Attention: bad shape n_heads = ", s.n_heads,
        ", n_kv_heads = ", s.n_kv_heads, ", head_dim = ", s.head_dim,
        " (n_kv_heads must divide n_heads; head_dim <= ", kMaxHeadDim, ")"));
  }
  if (pos0 + n_tokens > s.n_ctx) {
    return absl::InvalidArgumentError(
        absl::StrCat("Attention: positions up to ", pos0 + n_tokens,
                     " exceed n_ctx = ", s.n_ctx));
  }
  if (scratch_floats < AttentionScratchFloats(s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Attention: scratch has ", scratch_floats,
                     " floats, needs ", AttentionScratchFloats(s)));
  }
  if (q == nullptr || k == nullptr || v == nullptr || out == nullptr ||
      scratch == nullptr) {
    return absl::InvalidArgumentError("Attention: null pointer argument");
  }
  return absl::OkStatus();
}

template <typename T>
inline float Load(const T* p, size_t i) {
  if constexpr (std::is_same_v<T, float>) {
    return p[i];
  } else {
    return quant::Fp16ToFp32(p[i]);
  }
}

float DotRef(const float* a, const float* b, size_t n) {
  float s = 0.0f;
  for (size_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

template <typename T>
float DotFast(const float* a, const T* b, size_t n) {
  float acc[kDotLanes] = {};
  size_t i = 0;
  for (; i + kDotLanes <= n; i += kDotLanes) {
    for (size_t l = 0; l < kDotLanes; ++l) acc[l] += a[i + l] * Load(b, i + l);
  }
  float s = 0.0f;
  for (size_t l = 0; l < kDotLanes; ++l) s += acc[l];
  for (; i < n; ++i) s += a[i] * Load(b, i);
  return s;
}

// One (token, head): scores, softmax, weighted sum of V rows.
template <typename T, bool kFast>
void AttendOne(const AttentionShape& s, const float* q, size_t t, size_t h,
               size_t pos0, const T* k, const T* v, float* out, float* scores) {
  const size_t d = s.head_dim;
  const size_t kv_row = s.n_kv_heads * d;
  const size_t g = h / (s.n_heads / s.n_kv_heads);
  const float* qh = q + t * s.n_heads * d + h * d;
  float qbuf[kMaxHeadDim];
  if constexpr (!std::is_same_v<T, float>) {
    // llama.cpp converts q to the cache's f16 before the dot product.
    for (size_t i = 0; i < d; ++i) {
      qbuf[i] = quant::Fp16ToFp32(quant::Fp32ToFp16(qh[i]));
    }
    qh = qbuf;
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const size_t n_keys = pos0 + t + 1;
  for (size_t j = 0; j < n_keys; ++j) {
    const T* kj = k + j * kv_row + g * d;
    float dot;
    if constexpr (kFast) {
      dot = DotFast(qh, kj, d);
    } else if constexpr (std::is_same_v<T, float>) {
      dot = DotRef(qh, kj, d);
    } else {
      dot = 0.0f;
      for (size_t i = 0; i < d; ++i) dot += qh[i] * Load(kj, i);
    }
    scores[j] = dot * scale;
  }
  SoftmaxRowRef(scores, n_keys, scores);
  float* o = out + t * s.n_heads * d + h * d;
  std::memset(o, 0, d * sizeof(float));
  for (size_t j = 0; j < n_keys; ++j) {
    const T* vj = v + j * kv_row + g * d;
    const float p = scores[j];
    for (size_t i = 0; i < d; ++i) o[i] += p * Load(vj, i);
  }
}

template <typename T>
absl::Status AttentionImplRef(const AttentionShape& s, const float* q,
                              size_t n_tokens, size_t pos0, const T* k,
                              const T* v, float* out, float* scratch,
                              size_t scratch_floats) {
  if (absl::Status st =
          Check(s, q, n_tokens, pos0, k, v, out, scratch, scratch_floats);
      !st.ok()) {
    return st;
  }
  for (size_t t = 0; t < n_tokens; ++t) {
    for (size_t h = 0; h < s.n_heads; ++h) {
      AttendOne<T, false>(s, q, t, h, pos0, k, v, out, scratch);
    }
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status AttentionImplFast(const AttentionShape& s, const float* q,
                               size_t n_tokens, size_t pos0, const T* k,
                               const T* v, float* out, float* scratch,
                               size_t scratch_floats, ThreadPool* pool) {
  if (absl::Status st =
          Check(s, q, n_tokens, pos0, k, v, out, scratch, scratch_floats);
      !st.ok()) {
    return st;
  }
  // Task = one head over all tokens; head h owns scratch row h, so tasks
  // never share memory.
  ParallelFor(pool, s.n_heads, 1, [&](size_t h0, size_t h1) {
    for (size_t h = h0; h < h1; ++h) {
      float* scores = scratch + h * s.n_ctx;
      for (size_t t = 0; t < n_tokens; ++t) {
        AttendOne<T, true>(s, q, t, h, pos0, k, v, out, scores);
      }
    }
  });
  return absl::OkStatus();
}

}  // namespace

size_t AttentionScratchFloats(const AttentionShape& shape) {
  return shape.n_heads * shape.n_ctx;
}

absl::Status AttentionRef(const AttentionShape& shape, const float* q,
                          size_t n_tokens, size_t pos0, const float* k,
                          const float* v, float* out, float* scratch,
                          size_t scratch_floats) {
  return AttentionImplRef(shape, q, n_tokens, pos0, k, v, out, scratch,
                          scratch_floats);
}

absl::Status AttentionF16Ref(const AttentionShape& shape, const float* q,
                             size_t n_tokens, size_t pos0, const uint16_t* k,
                             const uint16_t* v, float* out, float* scratch,
                             size_t scratch_floats) {
  return AttentionImplRef(shape, q, n_tokens, pos0, k, v, out, scratch,
                          scratch_floats);
}

absl::Status Attention(const AttentionShape& shape, const float* q,
                       size_t n_tokens, size_t pos0, const float* k,
                       const float* v, float* out, float* scratch,
                       size_t scratch_floats, ThreadPool* pool) {
  return AttentionImplFast(shape, q, n_tokens, pos0, k, v, out, scratch,
                           scratch_floats, pool);
}

absl::Status AttentionF16(const AttentionShape& shape, const float* q,
                          size_t n_tokens, size_t pos0, const uint16_t* k,
                          const uint16_t* v, float* out, float* scratch,
                          size_t scratch_floats, ThreadPool* pool) {
  return AttentionImplFast(shape, q, n_tokens, pos0, k, v, out, scratch,
                           scratch_floats, pool);
}

}  // namespace edgellm::ops
