// Rearranging rows into groups, and the run-time choice of group kernel.
#include "tensor/interleaved_rows.h"

#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "tensor/cpu_features.h"

namespace engine {

// The AVX-512 family's group kernels, defined in interleaved_rows_avx512.cpp: nullptr for a type
// it has none for.
namespace avx512 {
GemmFn group_kernel(GgmlType weight_type);
}

namespace {

// Q4_K and Q5_K: the unpacked scales, mins and low four bits of every value, and for Q5_K the
// fifth bits.
template <typename Src, typename Dst>
void interleave_affine_k(const uint8_t* rows, size_t row_stride, int64_t nb, Dst* out) {
  for (int64_t i = 0; i < nb; ++i) {
    Dst& g = out[i];
    for (int64_t r = 0; r < kGroupRows; ++r) {
      const Src& x = reinterpret_cast<const Src*>(rows + r * row_stride)[i];
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
          std::memcpy(&g.subs[j].qs[k][4 * r], &packed, 4);
        }
        if constexpr (std::is_same_v<Src, BlockQ5_K>) {
          // Bit j of x.qh[l] is the fifth bit of element l of sub-block j.
          for (int e = 0; e < 4; ++e) {
            uint8_t bits = 0;
            for (int k = 0; k < 4; ++k) {
              bits |= static_cast<uint8_t>(((x.qh[4 * k + e] >> j) & 1) << (2 * k));
              bits |= static_cast<uint8_t>(((x.qh[16 + 4 * k + e] >> j) & 1) << (2 * k + 1));
            }
            g.subs[j].qh[4 * r + e] = bits;
          }
        }
      }
    }
  }
}

void interleave_q6_k(const uint8_t* rows, size_t row_stride, int64_t nb, BlockQ6_Kx16* out) {
  uint8_t q[kQK_K];
  for (int64_t i = 0; i < nb; ++i) {
    BlockQ6_Kx16& g = out[i];
    for (int64_t r = 0; r < kGroupRows; ++r) {
      const auto& x = reinterpret_cast<const BlockQ6_K*>(rows + r * row_stride)[i];
      g.d[r] = x.d;
      for (int j = 0; j < 16; ++j) g.scales[j][r] = x.scales[j];
      q6_k_values(x, q);
      for (int p = 0; p < 8; ++p) {
        const uint8_t* qp = q + 32 * p;
        for (int e = 0; e < 4; ++e) {
          uint8_t high[2] = {0, 0};
          for (int k = 0; k < 4; ++k) {
            const uint8_t a = qp[4 * k + e], b = qp[16 + 4 * k + e];
            g.pairs[p].ql[k][4 * r + e] = static_cast<uint8_t>((a & 15) | (b & 15) << 4);
            high[0] |= static_cast<uint8_t>((a >> 4) << (2 * k));
            high[1] |= static_cast<uint8_t>((b >> 4) << (2 * k));
          }
          g.pairs[p].qh[0][4 * r + e] = high[0];
          g.pairs[p].qh[1][4 * r + e] = high[1];
        }
      }
    }
  }
}

void interleave_q8_0(const uint8_t* rows, size_t row_stride, int64_t nb, BlockQ8_0x16* out) {
  for (int64_t i = 0; i < nb; ++i) {
    BlockQ8_0x16& g = out[i];
    for (int64_t r = 0; r < kGroupRows; ++r) {
      const auto& x = reinterpret_cast<const BlockQ8_0*>(rows + r * row_stride)[i];
      g.d[r] = x.d;
      for (int k = 0; k < 8; ++k) {
        for (int e = 0; e < 4; ++e) {
          g.qs[k][4 * r + e] = static_cast<uint8_t>(x.qs[4 * k + e] + 128);
        }
      }
    }
  }
}

// sizeof the grouped block of `type`, 0 where it has no grouped layout.
size_t grouped_block_bytes(GgmlType type) {
  switch (type) {
    case GgmlType::Q4_K:
      return sizeof(BlockQ4_Kx16);
    case GgmlType::Q5_K:
      return sizeof(BlockQ5_Kx16);
    case GgmlType::Q6_K:
      return sizeof(BlockQ6_Kx16);
    case GgmlType::Q8_0:
      return sizeof(BlockQ8_0x16);
    default:
      return 0;
  }
}

// Throws unless rows of n elements of `type` can be grouped.
void check_groupable(GgmlType type, int64_t n) {
  if (grouped_block_bytes(type) == 0 || n <= 0 || n % type_info(type).block_size != 0) {
    throw std::invalid_argument("cannot group rows of " + std::to_string(n) + " " +
                                std::string(type_info(type).name) + " elements");
  }
}

}  // namespace

GemmFn group_kernel(GgmlType type) {
  static const bool avx512 = cpu_has_avx512();
  return avx512 ? avx512::group_kernel(type) : nullptr;
}

size_t group_bytes(GgmlType type, int64_t n) {
  check_groupable(type, n);
  return static_cast<size_t>(n / type_info(type).block_size) * grouped_block_bytes(type);
}

void interleave_rows(GgmlType type, const uint8_t* rows, size_t row_stride, int64_t n,
                     uint8_t* group) {
  check_groupable(type, n);
  const int64_t nb = n / type_info(type).block_size;
  switch (type) {
    case GgmlType::Q4_K:
      interleave_affine_k<BlockQ4_K>(rows, row_stride, nb, reinterpret_cast<BlockQ4_Kx16*>(group));
      break;
    case GgmlType::Q5_K:
      interleave_affine_k<BlockQ5_K>(rows, row_stride, nb, reinterpret_cast<BlockQ5_Kx16*>(group));
      break;
    case GgmlType::Q6_K:
      interleave_q6_k(rows, row_stride, nb, reinterpret_cast<BlockQ6_Kx16*>(group));
      break;
    default:
      interleave_q8_0(rows, row_stride, nb, reinterpret_cast<BlockQ8_0x16*>(group));
  }
}

void gemm_groups(GgmlType type, const GemmArgs& args) {
  const GemmFn f = group_kernel(type);
  if (f == nullptr || args.n % type_info(type).block_size != 0 || args.n_rows % kGroupRows != 0) {
    throw std::invalid_argument(std::string("no group kernel for ") + std::to_string(args.n_rows) +
                                " rows of " + std::to_string(args.n) + " " +
                                std::string(type_info(type).name) + " elements on this CPU");
  }
  f(args);
}

}  // namespace engine
