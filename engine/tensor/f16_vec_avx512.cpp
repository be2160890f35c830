// AVX-512 versions of f16_vec.h's kernels: 16 halves a step, the tail under a mask, up to four
// rows per pass over the halves.
#include "tensor/avx512_intrin.h"
#include "tensor/f16_rows.h"
#include "tensor/f16_vec.h"

namespace engine::avx512 {
namespace {

inline __mmask16 tail_mask(int64_t left) {
  return left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
}

inline __m512 load_h16(__mmask16 m, const uint16_t* h) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, h));
}

template <int M>
void dot_m(int64_t n, const uint16_t* h, const float* x, int64_t x_stride, float* out,
           int64_t out_stride) {
  __m512 acc[M];
  for (int r = 0; r < M; ++r) acc[r] = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 hv = load_h16(m, h + i);
    for (int r = 0; r < M; ++r) {
      acc[r] = _mm512_fmadd_ps(hv, _mm512_maskz_loadu_ps(m, x + r * x_stride + i), acc[r]);
    }
  }
  for (int r = 0; r < M; ++r) out[r * out_stride] = _mm512_reduce_add_ps(acc[r]);
}

template <int M>
void axpy_m(int64_t n, const float* a, int64_t a_stride, const uint16_t* h, float* y,
            int64_t y_stride) {
  __m512 av[M];
  for (int r = 0; r < M; ++r) av[r] = _mm512_set1_ps(a[r * a_stride]);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 hv = load_h16(m, h + i);
    for (int r = 0; r < M; ++r) {
      float* yr = y + r * y_stride + i;
      _mm512_mask_storeu_ps(yr, m, _mm512_fmadd_ps(av[r], hv, _mm512_maskz_loadu_ps(m, yr)));
    }
  }
}

}  // namespace

extern const F16Kernels kF16Kernels{
    dot_rows_in_passes<dot_m<1>, dot_m<2>, dot_m<3>, dot_m<4>>,
    axpy_rows_in_passes<axpy_m<1>, axpy_m<2>, axpy_m<3>, axpy_m<4>>};

}  // namespace engine::avx512
