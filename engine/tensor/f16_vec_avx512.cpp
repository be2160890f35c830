// AVX-512 versions of f16_vec.h's kernels: 16 halves a step, the tail under a mask.
#include "tensor/avx512_intrin.h"
#include "tensor/f16_vec.h"

namespace engine::avx512 {
namespace {

inline __mmask16 tail_mask(int64_t left) {
  return left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
}

inline __m512 load_h16(__mmask16 m, const uint16_t* h) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, h));
}

float dot(int64_t n, const uint16_t* h, const float* x) {
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    acc = _mm512_fmadd_ps(load_h16(m, h + i), _mm512_maskz_loadu_ps(m, x + i), acc);
  }
  return _mm512_reduce_add_ps(acc);
}

void axpy(int64_t n, float a, const uint16_t* h, float* y) {
  const __m512 av = _mm512_set1_ps(a);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m,
                          _mm512_fmadd_ps(av, load_h16(m, h + i), _mm512_maskz_loadu_ps(m, y + i)));
  }
}

}  // namespace

extern const F16Kernels kF16Kernels{dot, axpy};

}  // namespace engine::avx512
