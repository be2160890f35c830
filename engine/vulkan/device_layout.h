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
  // Q8_0: row r's block b is words (r * n_blocks + b) * 8 .. + 7, element 4i + k in byte k of
  // word i.
  std::vector<uint32_t> quants;
  // Q8_0: row r's block scales as F16 pairs, ceil(n_blocks / 2) words a row, block 2j in the low
  // half of word j.
  std::vector<uint32_t> scales;
};

// n_rows rows of n elements of `type`, row_stride bytes apart in the file's layout. Throws
// std::invalid_argument for a type the shaders do not read yet or n not whole blocks.
DeviceMatrix to_device_layout(GgmlType type, const uint8_t* rows, size_t row_stride, int64_t n_rows,
                              int64_t n);

}  // namespace engine::vulkan
