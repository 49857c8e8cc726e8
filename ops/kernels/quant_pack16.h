// 16-row interleaved layouts of the 4-bit to 6-bit weight types for the
// AVX-512 VNNI kernels (internal to ops/). As for Q8_0 (q8_0_gemm_avx512vnni
// .cc): a group of 16 weight rows is stored block by block with one row per
// 32-bit lane, so a 64-byte load gives, for 16 rows at once, 4 consecutive
// values each (after masking a nibble), and vpdpbusd with 4 activation bytes
// broadcast sums 4 products per row into that row's lane. No transposition
// happens at run time and a decode step reads the tensor front to back.
//
// Each record below is one block (Q4_0, Q5_0) or super-block (K-quants) of
// the 16 rows and has exactly the size of their 16 GGUF blocks, so a packed
// tensor occupies its file's bytes and group g starts where row 16g did.
// Levels are the unsigned stored values q (Q4_0 0..15, Q5_0 0..31, Q4_K
// 0..15, Q5_K 0..31, Q6_K 0..63); the kernels fold the offsets (8, 16, 32)
// and minimums in through the activation sums, exactly in integer.
//
// Nibble planes: q[v][4r + i] holds level 8v + i of row r in its low nibble
// and level 8v + 4 + i in its high nibble (v counts groups of 8 values).
#ifndef EDGELLM_OPS_KERNELS_QUANT_PACK16_H_
#define EDGELLM_OPS_KERNELS_QUANT_PACK16_H_

#include <cstddef>
#include <cstdint>

#include "quant/iq4.h"
#include "quant/k_quants.h"
#include "quant/q4_q5.h"

namespace edgellm::ops::kernels {

inline constexpr int kPackRows = 16;

struct PackedQ4_0 {
  uint16_t d[kPackRows];  // fp16 scales
  uint8_t q[4][64];       // 32 levels per row
};
struct PackedQ5_0 {
  uint16_t d[kPackRows];  // fp16 scales
  uint8_t q[4][64];       // low 4 bits of the 32 levels per row
  // h[4r + i] bit p: fifth bit of level 4p + i of row r (as PackedQ5_K's
  // h[0]).
  uint8_t h[64];
};
struct PackedQ4_K {
  uint16_t d[kPackRows], dmin[kPackRows];
  uint8_t s[3][64];   // s[c][4r + i]: byte 4c + i of row r's 12 scale bytes
  uint8_t q[32][64];  // 256 levels per row (low 4 bits)
};
struct PackedQ5_K {
  uint16_t d[kPackRows], dmin[kPackRows];
  uint8_t s[3][64];
  uint8_t q[32][64];
  // h[j][4r + i] bit p: fifth bit of level 32j + 4p + i of row r.
  uint8_t h[8][64];
};
struct PackedQ6_K {
  uint16_t d[kPackRows];
  int8_t s[8][32];    // s[i][2r + e]: scale 2i + e of row r
  uint8_t q[32][64];  // low 4 bits
  // h[2j + half][4r + i] bits 2p..2p+1: top 2 bits of level
  // 32j + 16 half + 4p + i of row r (p < 4).
  uint8_t h[16][64];
};
static_assert(sizeof(PackedQ4_0) == kPackRows * sizeof(quant::BlockQ4_0) &&
                  sizeof(PackedQ5_0) == kPackRows * sizeof(quant::BlockQ5_0) &&
                  sizeof(PackedQ4_K) == kPackRows * sizeof(quant::BlockQ4_K) &&
                  sizeof(PackedQ5_K) == kPackRows * sizeof(quant::BlockQ5_K) &&
                  sizeof(PackedQ6_K) == kPackRows * sizeof(quant::BlockQ6_K),
              "a packed record must keep its 16 blocks' size");

// QuantPackFn / QuantUnpackRowFn for each layout: packs whole 16-row groups
// of `rows` (the rest are copied unchanged, at their place) and returns how
// many rows were packed; UnpackRow restores row `row`'s GGUF blocks.
size_t PackQ4_0Rows16(const void* src, size_t rows, size_t n_blocks, void* dst);
size_t PackQ5_0Rows16(const void* src, size_t rows, size_t n_blocks, void* dst);
size_t PackQ4_KRows16(const void* src, size_t rows, size_t n_blocks, void* dst);
size_t PackQ5_KRows16(const void* src, size_t rows, size_t n_blocks, void* dst);
size_t PackQ6_KRows16(const void* src, size_t rows, size_t n_blocks, void* dst);
void UnpackQ4_0Row16(const void* packed, size_t row, size_t n_blocks,
                     void* out);
void UnpackQ5_0Row16(const void* packed, size_t row, size_t n_blocks,
                     void* out);
void UnpackQ4_KRow16(const void* packed, size_t row, size_t n_blocks,
                     void* out);
void UnpackQ5_KRow16(const void* packed, size_t row, size_t n_blocks,
                     void* out);
void UnpackQ6_KRow16(const void* packed, size_t row, size_t n_blocks,
                     void* out);

}  // namespace edgellm::ops::kernels

#endif  // EDGELLM_OPS_KERNELS_QUANT_PACK16_H_
