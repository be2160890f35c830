// A gemm block computed one dot product at a time, for kernel families and types without a tile
// kernel. Each instantiation takes a kernel file's own internal-linkage dot functions, so it is
// unique to that file and never merged with a copy built for another instruction set.
#pragma once

#include "tensor/quants.h"

namespace engine {

template <float (*Dot)(int64_t n, const void* w, const void* a)>
void gemm_dots(const GemmArgs& a) {
  for (int64_t t = 0; t < a.n_tokens; ++t) {
    const uint8_t* act = a.act + static_cast<size_t>(t) * a.act_stride;
    for (int64_t r = 0; r < a.n_rows; ++r) {
      a.out[t * a.out_stride + r] = Dot(a.n, a.w + static_cast<size_t>(r) * a.w_stride, act);
    }
  }
}

// The kernel table of a family that runs every type one dot at a time (the scalar reference and
// AVX2), given its dot function for each type; nullptr for other types.
using DotFn = float (*)(int64_t n, const void* w, const void* a);
template <DotFn kF32, DotFn kF16, DotFn kQ4_0, DotFn kQ8_0, DotFn kQ4_K, DotFn kQ5_K, DotFn kQ6_K>
GemmFn dot_kernels(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::F32:
      return gemm_dots<kF32>;
    case GgmlType::F16:
      return gemm_dots<kF16>;
    case GgmlType::Q4_0:
      return gemm_dots<kQ4_0>;
    case GgmlType::Q8_0:
      return gemm_dots<kQ8_0>;
    case GgmlType::Q4_K:
      return gemm_dots<kQ4_K>;
    case GgmlType::Q5_K:
      return gemm_dots<kQ5_K>;
    case GgmlType::Q6_K:
      return gemm_dots<kQ6_K>;
    default:
      return nullptr;
  }
}

}  // namespace engine
