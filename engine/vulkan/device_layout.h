// Weight matrices as the Vulkan shaders read them. ggml's blocks are not word-aligned (a Q8_0
// block is 34 bytes), so at upload each row's quants are packed into 32-bit words and its scales
// go to a separate region: every shader access is then a whole, aligned word.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tensor/ggml_type.h"

namespace engine::vulkan {

struct DeviceMatrix {
  // Row r's block b is a run of words at (r * n_blocks + b) * words-per-block, the file's bytes
  // in their order:
  // - Q8_0: 8 words (the 32 quants), Q4_0: 4 words (the 16 bytes of nibbles);
  // - Q4_K: 32 words (qs); Q5_K: 40 (qs, then qh); Q6_K: 48 (ql, then qh).
  // F32 and F16: each row's values as they are, n or n / 2 words a row.
  std::vector<uint32_t> quants;
  // - Q8_0, Q4_0: each row's block scales as F16 pairs, ceil(n_blocks / 2) words a row, block 2j
  //   in the low half of word j;
  // - Q4_K, Q5_K: 5 words per block: d and dmin as an F16 pair, then the eight six-bit scales and
  //   the eight mins unpacked to bytes (sub-block j in byte j % 4 of word j / 4);
  // - Q6_K: 5 words per block: d in the low half of the first, then the 16 signed scales.
  // F32, F16: empty.
  std::vector<uint32_t> scales;
};

// n_rows rows of n elements of `type`, row_stride bytes apart in the file's layout. Throws
// std::invalid_argument for a type the shaders do not read or n not whole blocks (for F16, not
// even).
DeviceMatrix to_device_layout(GgmlType type, const uint8_t* rows, size_t row_stride, int64_t n_rows,
                              int64_t n);

}  // namespace engine::vulkan
