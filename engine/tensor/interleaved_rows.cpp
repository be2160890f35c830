// Rearranging rows into groups, and the run-time choice of group kernel.
#include "tensor/interleaved_rows.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "tensor/cpu_features.h"

namespace engine {

// The AVX-512 family's group kernels, defined in interleaved_rows_avx512.cpp: nullptr for a type
// it has none for.
namespace avx512 {
GemmFn group_kernel(GgmlType weight_type);
}

namespace {

void interleave_q4_k(const uint8_t* rows, size_t row_stride, int64_t nb, BlockQ4_Kx16* out) {
  for (int64_t i = 0; i < nb; ++i) {
    BlockQ4_Kx16& g = out[i];
    for (int64_t r = 0; r < kGroupRows; ++r) {
      const auto& x = reinterpret_cast<const BlockQ4_K*>(rows + r * row_stride)[i];
      g.d[r] = x.d;
      g.dmin[r] = x.dmin;
      for (int j = 0; j < 8; ++j) {
        int sc = 0, m = 0;
        k_scale_min(x.scales, j, &sc, &m);
        g.scales[j][r] = static_cast<uint8_t>(sc);
        g.mins[j][r] = static_cast<uint8_t>(m);
        // Sub-block j is the low (j even) or high nibbles of x.qs[32 * (j / 2) ..]; four
        // elements at a time.
        const uint8_t* q = x.qs + 32 * (j / 2);
        const int shift = 4 * (j % 2);
        for (int k = 0; k < 4; ++k) {
          uint32_t first = 0, second = 0;
          std::memcpy(&first, q + 4 * k, 4);
          std::memcpy(&second, q + 16 + 4 * k, 4);
          const uint32_t packed =
              ((first >> shift) & 0x0f0f0f0fu) | (((second >> shift) & 0x0f0f0f0fu) << 4);
          std::memcpy(&g.qs[j][k][4 * r], &packed, 4);
        }
      }
    }
  }
}

}  // namespace

GemmFn group_kernel(GgmlType type) {
  static const bool avx512 = cpu_has_avx512();
  return avx512 ? avx512::group_kernel(type) : nullptr;
}

size_t group_bytes(GgmlType type, int64_t n) {
  if (type != GgmlType::Q4_K) {
    throw std::invalid_argument("no grouped layout for " + std::string(type_info(type).name));
  }
  return static_cast<size_t>(n / kQK_K) * sizeof(BlockQ4_Kx16);
}

void interleave_rows(GgmlType type, const uint8_t* rows, size_t row_stride, int64_t n,
                     uint8_t* group) {
  if (type != GgmlType::Q4_K || n % kQK_K != 0) {
    throw std::invalid_argument("cannot group rows of " + std::to_string(n) + " " +
                                std::string(type_info(type).name) + " elements");
  }
  interleave_q4_k(rows, row_stride, n / kQK_K, reinterpret_cast<BlockQ4_Kx16*>(group));
}

void gemm_groups(GgmlType type, const GemmArgs& args) {
  const GemmFn f = group_kernel(type);
  if (f == nullptr || args.n % kQK_K != 0 || args.n_rows % kGroupRows != 0) {
    throw std::invalid_argument(std::string("no group kernel for ") + std::to_string(args.n_rows) +
                                " rows of " + std::to_string(args.n) + " " +
                                std::string(type_info(type).name) + " elements on this CPU");
  }
  f(args);
}

}  // namespace engine
