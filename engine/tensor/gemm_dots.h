// A gemm block computed one dot product at a time, for kernel families and types without a tile
// kernel. Each instantiation takes a kernel file's own internal-linkage dot function, so it is
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

}  // namespace engine
