// Packing to and from the 16-row layouts of quant_pack16.h. Runs once per
// tensor at load (and per row for a packed embedding lookup), in plain C++.
#include "ops/kernels/quant_pack16.h"

#include <cstring>

namespace edgellm::ops::kernels {
namespace {

constexpr int kQK = quant::kQK_K;

// --- GGUF levels: the stored unsigned values, in value order ---------------

int Nibble32(const uint8_t* qs, int j) {
  return j < 16 ? qs[j] & 0x0f : qs[j - 16] >> 4;
}
int NibbleK(const uint8_t* qs, int i) {  // Q4_K/Q5_K: 64 values per 32 bytes
  const int c = i / 64, r = i % 64;
  return r < 32 ? qs[32 * c + r] & 0x0f : qs[32 * c + r - 32] >> 4;
}

void RawLevels(const quant::BlockQ4_0& b, uint8_t* q) {
  for (int j = 0; j < 32; ++j) q[j] = static_cast<uint8_t>(Nibble32(b.qs, j));
}
void RawLevels(const quant::BlockQ5_0& b, uint8_t* q) {
  const uint32_t qh = quant::Q5HighBits(b.qh);
  for (int j = 0; j < 32; ++j) {
    q[j] = static_cast<uint8_t>(Nibble32(b.qs, j) | ((qh >> j) & 1) << 4);
  }
}
void RawLevels(const quant::BlockQ4_K& b, uint8_t* q) {
  for (int i = 0; i < kQK; ++i) q[i] = static_cast<uint8_t>(NibbleK(b.qs, i));
}
void RawLevels(const quant::BlockQ5_K& b, uint8_t* q) {
  for (int i = 0; i < kQK; ++i) {
    const int high = (b.qh[i % 32] >> (i / 32)) & 1;
    q[i] = static_cast<uint8_t>(NibbleK(b.qs, i) | high << 4);
  }
}
void RawLevels(const quant::BlockQ6_K& b, uint8_t* q) {
  for (int i = 0; i < kQK; ++i) {
    const int n = i / 128, g = (i % 128) / 32, l = i % 32;
    const uint8_t ql = b.ql[64 * n + 32 * (g % 2) + l];
    const int low = g < 2 ? ql & 0x0f : ql >> 4;
    const int high = (b.qh[32 * n + l] >> (2 * g)) & 3;
    q[i] = static_cast<uint8_t>(low | high << 4);
  }
}

// --- The inverse: levels back into GGUF bytes -------------------------------

void EncodeLevels(const uint8_t* q, quant::BlockQ4_0* b) {
  for (int j = 0; j < 16; ++j)
    b->qs[j] = static_cast<uint8_t>(q[j] | q[j + 16] << 4);
}
void EncodeLevels(const uint8_t* q, quant::BlockQ5_0* b) {
  uint32_t qh = 0;
  for (int j = 0; j < 16; ++j) {
    b->qs[j] = static_cast<uint8_t>((q[j] & 0x0f) | (q[j + 16] & 0x0f) << 4);
  }
  for (int j = 0; j < 32; ++j) qh |= uint32_t{(q[j] >> 4) & 1u} << j;
  for (int i = 0; i < 4; ++i) b->qh[i] = static_cast<uint8_t>(qh >> (8 * i));
}
void EncodeNibblesK(const uint8_t* q, uint8_t* qs) {
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      qs[32 * c + l] = static_cast<uint8_t>((q[64 * c + l] & 0x0f) |
                                            (q[64 * c + 32 + l] & 0x0f) << 4);
    }
  }
}
void EncodeLevels(const uint8_t* q, quant::BlockQ4_K* b) {
  EncodeNibblesK(q, b->qs);
}
void EncodeLevels(const uint8_t* q, quant::BlockQ5_K* b) {
  EncodeNibblesK(q, b->qs);
  std::memset(b->qh, 0, sizeof(b->qh));
  for (int i = 0; i < kQK; ++i) {
    b->qh[i % 32] |= static_cast<uint8_t>(((q[i] >> 4) & 1) << (i / 32));
  }
}
void EncodeLevels(const uint8_t* q, quant::BlockQ6_K* b) {
  for (int n = 0; n < 2; ++n) {
    for (int l = 0; l < 32; ++l) {
      const int q1 = q[128 * n + l], q2 = q[128 * n + l + 32],
                q3 = q[128 * n + l + 64], q4 = q[128 * n + l + 96];
      b->ql[64 * n + l] = static_cast<uint8_t>((q1 & 0x0f) | (q3 & 0x0f) << 4);
      b->ql[64 * n + l + 32] =
          static_cast<uint8_t>((q2 & 0x0f) | (q4 & 0x0f) << 4);
      b->qh[32 * n + l] = static_cast<uint8_t>((q1 >> 4) | (q2 >> 4) << 2 |
                                               (q3 >> 4) << 4 | (q4 >> 4) << 6);
    }
  }
}

// --- Levels to and from the nibble plane of a record (row r) ---------------

void PutNibbles(const uint8_t* q, int n_values, int r, uint8_t (*plane)[64]) {
  for (int v = 0; v < n_values / 8; ++v) {
    for (int i = 0; i < 4; ++i) {
      plane[v][4 * r + i] = static_cast<uint8_t>(
          (q[8 * v + i] & 0x0f) | (q[8 * v + 4 + i] & 0x0f) << 4);
    }
  }
}
void GetNibbles(const uint8_t (*plane)[64], int n_values, int r, uint8_t* q) {
  for (int v = 0; v < n_values / 8; ++v) {
    for (int i = 0; i < 4; ++i) {
      q[8 * v + i] = plane[v][4 * r + i] & 0x0f;
      q[8 * v + 4 + i] = plane[v][4 * r + i] >> 4;
    }
  }
}

// --- Per-type record packing ------------------------------------------------

void PackRecord(const quant::BlockQ4_0* const* rows, PackedQ4_0* out) {
  for (int r = 0; r < kPackRows; ++r) {
    uint8_t q[32];
    RawLevels(*rows[r], q);
    out->d[r] = rows[r]->d;
    PutNibbles(q, 32, r, out->q);
  }
}
void UnpackRecord(const PackedQ4_0& p, int r, quant::BlockQ4_0* b) {
  uint8_t q[32];
  GetNibbles(p.q, 32, r, q);
  b->d = p.d[r];
  EncodeLevels(q, b);
}

void PackRecord(const quant::BlockQ5_0* const* rows, PackedQ5_0* out) {
  std::memset(out->h, 0, sizeof(out->h));
  for (int r = 0; r < kPackRows; ++r) {
    uint8_t q[32];
    RawLevels(*rows[r], q);
    out->d[r] = rows[r]->d;
    PutNibbles(q, 32, r, out->q);
    for (int v = 0; v < 32; ++v) {
      out->h[4 * r + v % 4] |=
          static_cast<uint8_t>(((q[v] >> 4) & 1) << (v / 4));
    }
  }
}
void UnpackRecord(const PackedQ5_0& p, int r, quant::BlockQ5_0* b) {
  uint8_t q[32];
  GetNibbles(p.q, 32, r, q);
  for (int v = 0; v < 32; ++v) {
    q[v] =
        static_cast<uint8_t>(q[v] | ((p.h[4 * r + v % 4] >> (v / 4)) & 1) << 4);
  }
  b->d = p.d[r];
  EncodeLevels(q, b);
}

template <typename Packed, typename Block>
void PackScales12(const Block& b, int r, Packed* out) {
  out->d[r] = b.d;
  out->dmin[r] = b.dmin;
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 4; ++i) out->s[c][4 * r + i] = b.scales[4 * c + i];
  }
}
template <typename Packed, typename Block>
void UnpackScales12(const Packed& p, int r, Block* b) {
  b->d = p.d[r];
  b->dmin = p.dmin[r];
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 4; ++i) b->scales[4 * c + i] = p.s[c][4 * r + i];
  }
}

void PackRecord(const quant::BlockQ4_K* const* rows, PackedQ4_K* out) {
  for (int r = 0; r < kPackRows; ++r) {
    uint8_t q[kQK];
    RawLevels(*rows[r], q);
    PackScales12(*rows[r], r, out);
    PutNibbles(q, kQK, r, out->q);
  }
}
void UnpackRecord(const PackedQ4_K& p, int r, quant::BlockQ4_K* b) {
  uint8_t q[kQK];
  GetNibbles(p.q, kQK, r, q);
  UnpackScales12(p, r, b);
  EncodeLevels(q, b);
}

void PackRecord(const quant::BlockQ5_K* const* rows, PackedQ5_K* out) {
  std::memset(out->h, 0, sizeof(out->h));
  for (int r = 0; r < kPackRows; ++r) {
    uint8_t q[kQK];
    RawLevels(*rows[r], q);
    PackScales12(*rows[r], r, out);
    PutNibbles(q, kQK, r, out->q);
    for (int v = 0; v < kQK; ++v) {
      const int j = v / 32, p = (v % 32) / 4, i = v % 4;
      out->h[j][4 * r + i] |= static_cast<uint8_t>(((q[v] >> 4) & 1) << p);
    }
  }
}
void UnpackRecord(const PackedQ5_K& p, int r, quant::BlockQ5_K* b) {
  uint8_t q[kQK];
  GetNibbles(p.q, kQK, r, q);
  for (int v = 0; v < kQK; ++v) {
    const int j = v / 32, bit = (v % 32) / 4, i = v % 4;
    q[v] = static_cast<uint8_t>(q[v] | ((p.h[j][4 * r + i] >> bit) & 1) << 4);
  }
  UnpackScales12(p, r, b);
  EncodeLevels(q, b);
}

void PackRecord(const quant::BlockQ6_K* const* rows, PackedQ6_K* out) {
  std::memset(out->h, 0, sizeof(out->h));
  for (int r = 0; r < kPackRows; ++r) {
    uint8_t q[kQK];
    RawLevels(*rows[r], q);
    out->d[r] = rows[r]->d;
    for (int i = 0; i < 8; ++i) {
      for (int e = 0; e < 2; ++e)
        out->s[i][2 * r + e] = rows[r]->scales[2 * i + e];
    }
    PutNibbles(q, kQK, r, out->q);
    for (int v = 0; v < kQK; ++v) {
      const int plane = v / 16, p = (v % 16) / 4, i = v % 4;
      out->h[plane][4 * r + i] |= static_cast<uint8_t>((q[v] >> 4) << (2 * p));
    }
  }
}
void UnpackRecord(const PackedQ6_K& p, int r, quant::BlockQ6_K* b) {
  uint8_t q[kQK];
  GetNibbles(p.q, kQK, r, q);
  for (int v = 0; v < kQK; ++v) {
    const int plane = v / 16, shift = 2 * ((v % 16) / 4), i = v % 4;
    q[v] = static_cast<uint8_t>(q[v] | ((p.h[plane][4 * r + i] >> shift) & 3)
                                           << 4);
  }
  b->d = p.d[r];
  for (int i = 0; i < 8; ++i) {
    for (int e = 0; e < 2; ++e) b->scales[2 * i + e] = p.s[i][2 * r + e];
  }
  EncodeLevels(q, b);
}

template <typename Block, typename Packed>
size_t PackRows(const void* src, size_t rows, size_t n_blocks, void* dst) {
  const auto* in = static_cast<const Block*>(src);
  auto* out = static_cast<Block*>(dst);
  const size_t packed = rows / kPackRows * kPackRows;
  for (size_t g = 0; g < packed; g += kPackRows) {
    auto* records = reinterpret_cast<Packed*>(out + g * n_blocks);
    for (size_t k = 0; k < n_blocks; ++k) {
      const Block* group[kPackRows];
      for (int r = 0; r < kPackRows; ++r)
        group[r] = in + (g + r) * n_blocks + k;
      PackRecord(group, records + k);
    }
  }
  std::memcpy(out + packed * n_blocks, in + packed * n_blocks,
              (rows - packed) * n_blocks * sizeof(Block));
  return packed;
}

template <typename Block, typename Packed>
void UnpackRow(const void* packed, size_t row, size_t n_blocks, void* out) {
  const auto* base = static_cast<const Block*>(packed);
  const auto* records = reinterpret_cast<const Packed*>(
      base + row / kPackRows * kPackRows * n_blocks);
  auto* blocks = static_cast<Block*>(out);
  for (size_t k = 0; k < n_blocks; ++k) {
    UnpackRecord(records[k], static_cast<int>(row % kPackRows), blocks + k);
  }
}

}  // namespace

size_t PackQ4_0Rows16(const void* src, size_t rows, size_t n_blocks,
                      void* dst) {
  return PackRows<quant::BlockQ4_0, PackedQ4_0>(src, rows, n_blocks, dst);
}
size_t PackQ5_0Rows16(const void* src, size_t rows, size_t n_blocks,
                      void* dst) {
  return PackRows<quant::BlockQ5_0, PackedQ5_0>(src, rows, n_blocks, dst);
}
size_t PackQ4_KRows16(const void* src, size_t rows, size_t n_blocks,
                      void* dst) {
  return PackRows<quant::BlockQ4_K, PackedQ4_K>(src, rows, n_blocks, dst);
}
size_t PackQ5_KRows16(const void* src, size_t rows, size_t n_blocks,
                      void* dst) {
  return PackRows<quant::BlockQ5_K, PackedQ5_K>(src, rows, n_blocks, dst);
}
size_t PackQ6_KRows16(const void* src, size_t rows, size_t n_blocks,
                      void* dst) {
  return PackRows<quant::BlockQ6_K, PackedQ6_K>(src, rows, n_blocks, dst);
}
void UnpackQ4_0Row16(const void* packed, size_t row, size_t n_blocks,
                     void* out) {
  UnpackRow<quant::BlockQ4_0, PackedQ4_0>(packed, row, n_blocks, out);
}
void UnpackQ5_0Row16(const void* packed, size_t row, size_t n_blocks,
                     void* out) {
  UnpackRow<quant::BlockQ5_0, PackedQ5_0>(packed, row, n_blocks, out);
}
void UnpackQ4_KRow16(const void* packed, size_t row, size_t n_blocks,
                     void* out) {
  UnpackRow<quant::BlockQ4_K, PackedQ4_K>(packed, row, n_blocks, out);
}
void UnpackQ5_KRow16(const void* packed, size_t row, size_t n_blocks,
                     void* out) {
  UnpackRow<quant::BlockQ5_K, PackedQ5_K>(packed, row, n_blocks, out);
}
void UnpackQ6_KRow16(const void* packed, size_t row, size_t n_blocks,
                     void* out) {
  UnpackRow<quant::BlockQ6_K, PackedQ6_K>(packed, row, n_blocks, out);
}

}  // namespace edgellm::ops::kernels
