#include "vulkan/device_layout.h"

#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "tensor/quants.h"

namespace engine::vulkan {
namespace {

// Appends `bytes` (a multiple of 4) to `words`.
void append(std::vector<uint32_t>& words, const void* bytes, size_t n) {
  const size_t at = words.size();
  words.resize(at + n / 4);
  std::memcpy(&words[at], bytes, n);
}

// Blocks of 32 with an F16 scale: the quants as they are, the scales in F16 pairs per row.
template <typename Block>
void blocks_32(const uint8_t* rows, size_t row_stride, int64_t n_rows, int64_t nb,
               DeviceMatrix& m) {
  const int64_t scale_words = (nb + 1) / 2;
  m.scales.assign(static_cast<size_t>(n_rows * scale_words), 0);
  for (int64_t r = 0; r < n_rows; ++r) {
    const auto* x = reinterpret_cast<const Block*>(rows + r * row_stride);
    for (int64_t b = 0; b < nb; ++b) {
      append(m.quants, x[b].qs, sizeof(x[b].qs));
      m.scales[r * scale_words + b / 2] |= static_cast<uint32_t>(x[b].d) << (16 * (b % 2));
    }
  }
}

// Q4_K and Q5_K: qs (then qh), and d, dmin, the unpacked scales and mins.
template <typename Block>
void affine_k(const uint8_t* rows, size_t row_stride, int64_t n_rows, int64_t nb, DeviceMatrix& m) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const auto* x = reinterpret_cast<const Block*>(rows + r * row_stride);
    for (int64_t b = 0; b < nb; ++b) {
      append(m.quants, x[b].qs, sizeof(x[b].qs));
      if constexpr (std::is_same_v<Block, BlockQ5_K>) append(m.quants, x[b].qh, sizeof(x[b].qh));
      uint32_t s[5] = {static_cast<uint32_t>(x[b].d) | static_cast<uint32_t>(x[b].dmin) << 16};
      for (int j = 0; j < 8; ++j) {
        int sc = 0, mn = 0;
        k_scale_min(x[b].scales, j, &sc, &mn);
        s[1 + j / 4] |= static_cast<uint32_t>(sc) << (8 * (j % 4));
        s[3 + j / 4] |= static_cast<uint32_t>(mn) << (8 * (j % 4));
      }
      append(m.scales, s, sizeof(s));
    }
  }
}

void q6_k(const uint8_t* rows, size_t row_stride, int64_t n_rows, int64_t nb, DeviceMatrix& m) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const auto* x = reinterpret_cast<const BlockQ6_K*>(rows + r * row_stride);
    for (int64_t b = 0; b < nb; ++b) {
      append(m.quants, x[b].ql, sizeof(x[b].ql));
      append(m.quants, x[b].qh, sizeof(x[b].qh));
      uint32_t s[5] = {x[b].d};
      std::memcpy(&s[1], x[b].scales, sizeof(x[b].scales));
      append(m.scales, s, sizeof(s));
    }
  }
}

}  // namespace

DeviceMatrix to_device_layout(GgmlType type, const uint8_t* rows, size_t row_stride, int64_t n_rows,
                              int64_t n) {
  const int64_t block = type_info(type).block_size;
  const bool known = type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::Q8_0 ||
                     type == GgmlType::Q4_0 || type == GgmlType::Q4_K || type == GgmlType::Q5_K ||
                     type == GgmlType::Q6_K;
  if (!known || n <= 0 || n % block != 0 || (type == GgmlType::F16 && n % 2 != 0)) {
    throw std::invalid_argument("no Vulkan layout for rows of " + std::to_string(n) + " " +
                                std::string(type_info(type).name) + " elements");
  }
  const int64_t nb = n / block;
  DeviceMatrix m;
  m.quants.reserve(static_cast<size_t>(n_rows) * row_bytes(type, n) / 4);
  switch (type) {
    case GgmlType::F32:
    case GgmlType::F16:
      for (int64_t r = 0; r < n_rows; ++r)
        append(m.quants, rows + r * row_stride, row_bytes(type, n));
      break;
    case GgmlType::Q8_0:
      blocks_32<BlockQ8_0>(rows, row_stride, n_rows, nb, m);
      break;
    case GgmlType::Q4_0:
      blocks_32<BlockQ4_0>(rows, row_stride, n_rows, nb, m);
      break;
    case GgmlType::Q4_K:
      affine_k<BlockQ4_K>(rows, row_stride, n_rows, nb, m);
      break;
    case GgmlType::Q5_K:
      affine_k<BlockQ5_K>(rows, row_stride, n_rows, nb, m);
      break;
    default:
      q6_k(rows, row_stride, n_rows, nb, m);
  }
  return m;
}

}  // namespace engine::vulkan
