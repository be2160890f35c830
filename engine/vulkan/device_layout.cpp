#include "vulkan/device_layout.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "tensor/quants.h"

namespace engine::vulkan {

DeviceMatrix to_device_layout(GgmlType type, const uint8_t* rows, size_t row_stride, int64_t n_rows,
                              int64_t n) {
  if (type != GgmlType::Q8_0 || n <= 0 || n % kQK8_0 != 0) {
    throw std::invalid_argument("no Vulkan layout for rows of " + std::to_string(n) + " " +
                                std::string(type_info(type).name) + " elements");
  }
  const int64_t nb = n / kQK8_0;
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

}  // namespace engine::vulkan
