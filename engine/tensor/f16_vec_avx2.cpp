// AVX2 + FMA + F16C versions of f16_vec.h's kernels: 8 halves a step, up to four rows per pass
// over the halves.
#include <immintrin.h>

#include "tensor/f16_rows.h"
#include "tensor/f16_vec.h"

namespace engine::avx2 {
namespace {

inline __m256 load_h8(const uint16_t* h) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)));
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <int M>
void dot_m(int64_t n, const uint16_t* h, const float* x, int64_t x_stride, float* out,
           int64_t out_stride) {
  __m256 acc[M];
  for (int r = 0; r < M; ++r) acc[r] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 hv = load_h8(h + i);
    for (int r = 0; r < M; ++r) {
      acc[r] = _mm256_fmadd_ps(hv, _mm256_loadu_ps(x + r * x_stride + i), acc[r]);
    }
  }
  for (int r = 0; r < M; ++r) {
    float sum = hsum(acc[r]);
    for (int64_t k = i; k < n; ++k) sum += _cvtsh_ss(h[k]) * x[r * x_stride + k];
    out[r * out_stride] = sum;
  }
}

template <int M>
void axpy_m(int64_t n, const float* a, int64_t a_stride, const uint16_t* h, float* y,
            int64_t y_stride) {
  __m256 av[M];
  for (int r = 0; r < M; ++r) av[r] = _mm256_set1_ps(a[r * a_stride]);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 hv = load_h8(h + i);
    for (int r = 0; r < M; ++r) {
      float* yr = y + r * y_stride + i;
      _mm256_storeu_ps(yr, _mm256_fmadd_ps(av[r], hv, _mm256_loadu_ps(yr)));
    }
  }
  for (; i < n; ++i) {
    for (int r = 0; r < M; ++r) y[r * y_stride + i] += a[r * a_stride] * _cvtsh_ss(h[i]);
  }
}

}  // namespace

extern const F16Kernels kF16Kernels{
    dot_rows_in_passes<dot_m<1>, dot_m<2>, dot_m<3>, dot_m<4>>,
    axpy_rows_in_passes<axpy_m<1>, axpy_m<2>, axpy_m<3>, axpy_m<4>>};

}  // namespace engine::avx2
