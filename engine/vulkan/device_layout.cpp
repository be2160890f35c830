#include "vulkan/device_layout.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "tensor/quants.h"

namespace engine::vulkan {

namespace {

DeviceMatrix q8_0_layout(const uint8_t* rows, size_t row_stride, int64_t n_rows, int64_t nb) {
  const int64_t scale_words = (nb + 1) / 2;
  DeviceMatrix m;
  m.quants.resize(static_cast<size_t>(n_rows * nb * 8));
  m.scales.assign(static_cast<size_t>(n_rows * scale_words), 0);
  for (int64_t r = 0; r < n_rows; ++r) {
    const auto* x = reinterpret_cast<const BlockQ8_0*>(rows + r * row_stride);
    for (int64_t b = 0; b < nb; ++b) {
      std::memcpy(&m.quants[(r * nb + b) * 8], x[b].qs, sizeof(x[b].qs));
      m.scales[r * scale_words + b / 2] |= static_cast<uint32_t>(x[b].d) << (16 * (b % 2));
    }
  }
  return m;
}

DeviceMatrix q4_k_layout(const uint8_t* rows, size_t row_stride, int64_t n_rows, int64_t nb) {
  DeviceMatrix m;
  m.quants.resize(static_cast<size_t>(n_rows * nb * 32));
  m.scales.assign(static_cast<size_t>(n_rows * nb * 5), 0);
  for (int64_t r = 0; r < n_rows; ++r) {
    const auto* x = reinterpret_cast<const BlockQ4_K*>(rows + r * row_stride);
    for (int64_t b = 0; b < nb; ++b) {
      const int64_t at = r * nb + b;
      std::memcpy(&m.quants[at * 32], x[b].qs, sizeof(x[b].qs));
      uint32_t* s = &m.scales[at * 5];
      s[0] = static_cast<uint32_t>(x[b].d) | static_cast<uint32_t>(x[b].dmin) << 16;
      for (int j = 0; j < 8; ++j) {
        int sc = 0, mn = 0;
        k_scale_min(x[b].scales, j, &sc, &mn);
        s[1 + j / 4] |= static_cast<uint32_t>(sc) << (8 * (j % 4));
        s[3 + j / 4] |= static_cast<uint32_t>(mn) << (8 * (j % 4));
      }
    }
  }
  return m;
}

}  // namespace

DeviceMatrix to_device_layout(GgmlType type, const uint8_t* rows, size_t row_stride, int64_t n_rows,
                              int64_t n) {
  const bool known = type == GgmlType::Q8_0 || type == GgmlType::Q4_K;
  if (!known || n <= 0 || n % type_info(type).block_size != 0) {
    throw std::invalid_argument("no Vulkan layout for rows of " + std::to_string(n) + " " +
                                std::string(type_info(type).name) + " elements");
  }
  const int64_t nb = n / type_info(type).block_size;
  return type == GgmlType::Q8_0 ? q8_0_layout(rows, row_stride, n_rows, nb)
                                : q4_k_layout(rows, row_stride, n_rows, nb);
}

}  // namespace engine::vulkan
