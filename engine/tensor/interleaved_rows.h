// Weight matrices rearranged at load time into groups of 16 rows, block by block, for kernels
// that compute 16 rows in one register: one int8 dot-product instruction multiplies 4 elements
// of each of the 16 rows by the same 4 activations, and the per-block float work (scales, mins,
// conversion) runs once per 16 rows instead of once per row. The file's row-wise layout stays
// the one every other kernel reads; only matrices whose type has a group kernel on this CPU and
// whose rows are whole groups are rearranged.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/ggml_type.h"
#include "tensor/quants.h"

namespace engine {

inline constexpr int64_t kGroupRows = 16;

// Tokens a group kernel multiplies in one pass over the weights; more take several passes,
// each reading the rows again.
inline constexpr int64_t kGroupPassTokens = 16;

// One Q4_K super-block of 16 rows: x[r] = d[r] * scales[j][r] * q - dmin[r] * mins[j][r] in
// sub-block j, with the six-bit scales and mins unpacked. subs[j].qs[k] holds quads k and k + 4
// of sub-block j (elements 4k..4k+3 and 16+4k..16+4k+3) of every row: byte 4r + e has element
// 4k + e of row r in its low nibble and element 16 + 4k + e in its high one.
struct BlockQ4_Kx16 {
  uint16_t d[kGroupRows];
  uint16_t dmin[kGroupRows];
  uint8_t scales[8][kGroupRows];
  uint8_t mins[8][kGroupRows];
  struct Sub {
    uint8_t qs[4][4 * kGroupRows];
  } subs[8];
};
static_assert(sizeof(BlockQ4_Kx16) == 2368 && offsetof(BlockQ4_Kx16, subs) % 64 == 0);

// One Q5_K super-block of 16 rows: as BlockQ4_Kx16, with each value's fifth bit in qh: byte
// 4r + e of subs[j].qh holds in bit 2k that of element 4k + e of row r and in bit 2k + 1 that of
// element 16 + 4k + e. The kernel reads it front to back.
struct BlockQ5_Kx16 {
  uint16_t d[kGroupRows];
  uint16_t dmin[kGroupRows];
  uint8_t scales[8][kGroupRows];
  uint8_t mins[8][kGroupRows];
  struct Sub {
    uint8_t qh[4 * kGroupRows];
    uint8_t qs[4][4 * kGroupRows];
  } subs[8];
};
static_assert(sizeof(BlockQ5_Kx16) == 2880 && offsetof(BlockQ5_Kx16, subs) % 64 == 0);

// One Q6_K super-block of 16 rows: x[r] = d[r] * scales[j][r] * (q - 32) in 16-element sub-block
// j, q six bits. Each pair of sub-blocks 2p, 2p+1 is laid out as a Q4_K sub-block of
// BlockQ4_Kx16: pairs[p].ql[k] holds the low four bits of quad k of sub-block 2p (low nibbles)
// and 2p+1 (high nibbles), and byte 4r + e of pairs[p].qh[s] holds in bits 2k, 2k+1 the top two
// bits of element 4k + e of row r in sub-block 2p + s. The kernel reads it front to back.
struct BlockQ6_Kx16 {
  int8_t scales[16][kGroupRows];
  struct Pair {
    uint8_t qh[2][4 * kGroupRows];
    uint8_t ql[4][4 * kGroupRows];
  } pairs[8];
  uint16_t d[kGroupRows];
};
static_assert(sizeof(BlockQ6_Kx16) == 16 * sizeof(BlockQ6_K));

// One Q8_0 block of 16 rows: x[r] = d[r] * q. qs[k] holds quad k (elements 4k..4k+3) of every
// row, byte 4r + e for element 4k + e of row r, stored as q + 128 (unsigned for dpbusd).
struct BlockQ8_0x16 {
  uint16_t d[kGroupRows];
  uint8_t qs[8][4 * kGroupRows];
};
static_assert(sizeof(BlockQ8_0x16) == 16 * sizeof(BlockQ8_0));

// The group kernel for `type` on this CPU (as gemm_groups runs it, without its checks), or
// nullptr where there is none: matrices of such types with whole groups of rows are worth
// rearranging with interleave_rows.
GemmFn group_kernel(GgmlType type);

// Bytes of one group of kGroupRows rows of n elements (n whole blocks of the type).
size_t group_bytes(GgmlType type, int64_t n);

// Rearranges kGroupRows rows of n elements, row_stride bytes apart, into one group.
void interleave_rows(GgmlType type, const uint8_t* rows, size_t row_stride, int64_t n,
                     uint8_t* group);

// gemm for rearranged matrices: args.w is the first of args.n_rows / kGroupRows groups and
// args.w_stride the bytes of one group. As gemm, each output is computed the same way whatever
// the number of tokens.
void gemm_groups(GgmlType type, const GemmArgs& args);

}  // namespace engine
