#include "ops/rope.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace edgellm::ops {
namespace {

absl::Status Check(const RopeConfig& c, const float* x, size_t n_heads,
                   size_t row_stride) {
  if (c.rot_dims % 2 != 0 || c.rot_dims > c.head_dim ||
      c.rot_dims > kMaxRopeDims) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Rope: rot_dims = ", c.rot_dims, " must be even and <= head_dim = ",
        c.head_dim, " and <= ", kMaxRopeDims));
  }
  if (row_stride < n_heads * c.head_dim) {
    return absl::InvalidArgumentError(
        absl::StrCat("Rope: row_stride = ", row_stride, " < n_heads (", n_heads,
                     ") * head_dim (", c.head_dim, ")"));
  }
  if (x == nullptr) return absl::InvalidArgumentError("Rope: null x");
  return absl::OkStatus();
}

float ThetaScale(const RopeConfig& c) {
  return std::pow(c.freq_base, -2.0f / static_cast<float>(c.rot_dims));
}

// cos/sin of every pair at position p, in llama.cpp's order of operations.
void CosSin(const RopeConfig& c, float theta_scale, int64_t p, float* cs) {
  float theta = static_cast<float>(p);
  for (size_t i = 0; i < c.rot_dims / 2; ++i) {
    // Multiplying by 1 is exact: the defaults leave the angles and the
    // cos/sin of unscaled models unchanged bit for bit.
    const float t =
        c.freq_scale *
        (c.freq_factors != nullptr ? theta / c.freq_factors[i] : theta);
    cs[2 * i] = std::cos(t) * c.attn_factor;
    cs[2 * i + 1] = std::sin(t) * c.attn_factor;
    theta *= theta_scale;
  }
}

void RotateHead(const RopeConfig& c, const float* cs, float* h) {
  const size_t half = c.rot_dims / 2;
  for (size_t i = 0; i < half; ++i) {
    const size_t ia = c.layout == RopeLayout::kNormal ? 2 * i : i;
    const size_t ib = c.layout == RopeLayout::kNormal ? 2 * i + 1 : i + half;
    const float a = h[ia], b = h[ib];
    const float cos = cs[2 * i], sin = cs[2 * i + 1];
    h[ia] = a * cos - b * sin;
    h[ib] = a * sin + b * cos;
  }
}

}  // namespace

std::vector<float> Llama3RopeFreqFactors(size_t rot_dims, float freq_base,
                                         float factor, float low_freq_factor,
                                         float high_freq_factor,
                                         float original_max_positions) {
  std::vector<float> out(rot_dims / 2);
  const double low_wavelen = original_max_positions / low_freq_factor;
  const double high_wavelen = original_max_positions / high_freq_factor;
  for (size_t i = 0; i < out.size(); ++i) {
    // The converter computes freqs in float32 (torch), the rest in double.
    const float freq =
        1.0f / std::pow(freq_base, static_cast<float>(2 * i) /
                                       static_cast<float>(rot_dims));
    const double wavelen = 2.0 * M_PI / freq;
    if (wavelen < high_wavelen) {
      out[i] = 1.0f;
    } else if (wavelen > low_wavelen) {
      out[i] = factor;
    } else {
      const double smooth =
          (original_max_positions / wavelen - low_freq_factor) /
          (high_freq_factor - low_freq_factor);
      out[i] = static_cast<float>(1.0 / ((1.0 - smooth) / factor + smooth));
    }
  }
  return out;
}

absl::Status RopeRef(const RopeConfig& config, float* x, size_t n_tokens,
                     size_t n_heads, size_t row_stride, int64_t pos0) {
  if (absl::Status s = Check(config, x, n_heads, row_stride); !s.ok()) {
    return s;
  }
  const float theta_scale = ThetaScale(config);
  std::vector<float> cs(config.rot_dims);
  for (size_t t = 0; t < n_tokens; ++t) {
    for (size_t h = 0; h < n_heads; ++h) {
      CosSin(config, theta_scale, pos0 + static_cast<int64_t>(t), cs.data());
      RotateHead(config, cs.data(), x + t * row_stride + h * config.head_dim);
    }
  }
  return absl::OkStatus();
}

absl::Status RopeCosSinTable(const RopeConfig& config,
                             absl::Span<const int64_t> positions, float* cs,
                             ThreadPool* pool) {
  if (absl::Status s = Check(config, cs, 0, 0); !s.ok()) return s;
  const float theta_scale = ThetaScale(config);
  // A cosf + sinf pair costs tens of multiply-adds' time.
  pool = PoolForWork(pool, positions.size() * config.rot_dims * 32);
  ParallelFor(pool, positions.size(), 1, [&](size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; ++t) {
      CosSin(config, theta_scale, positions[t], cs + t * config.rot_dims);
    }
  });
  return absl::OkStatus();
}

absl::Status RopeWithTable(const RopeConfig& config, const float* cs, float* x,
                           size_t n_tokens, size_t n_heads, size_t row_stride,
                           ThreadPool* pool) {
  if (absl::Status s = Check(config, x, n_heads, row_stride); !s.ok()) {
    return s;
  }
  if (cs == nullptr) return absl::InvalidArgumentError("Rope: null cs");
  pool = PoolForWork(pool, n_tokens * n_heads * config.head_dim);
  ParallelFor(pool, n_tokens, 1, [&](size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; ++t) {
      const float* ct = cs + t * config.rot_dims;
      for (size_t h = 0; h < n_heads; ++h) {
        RotateHead(config, ct, x + t * row_stride + h * config.head_dim);
      }
    }
  });
  return absl::OkStatus();
}

absl::Status Rope(const RopeConfig& config, float* x, size_t n_tokens,
                  size_t n_heads, size_t row_stride, int64_t pos0,
                  ThreadPool* pool) {
  if (absl::Status s = Check(config, x, n_heads, row_stride); !s.ok()) {
    return s;
  }
  const float theta_scale = ThetaScale(config);
  pool = PoolForWork(pool, n_tokens * n_heads * config.head_dim);
  ParallelFor(pool, n_tokens, 1, [&](size_t t0, size_t t1) {
    float cs[kMaxRopeDims];
    for (size_t t = t0; t < t1; ++t) {
      CosSin(config, theta_scale, pos0 + static_cast<int64_t>(t), cs);
      for (size_t h = 0; h < n_heads; ++h) {
        RotateHead(config, cs, x + t * row_stride + h * config.head_dim);
      }
    }
  });
  return absl::OkStatus();
}

}  // namespace edgellm::ops
