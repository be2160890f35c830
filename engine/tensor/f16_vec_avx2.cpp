// AVX2 + FMA + F16C versions of f16_vec.h's kernels: 8 halves a step, up to four float rows per
// pass over the rows of halves.
#include <immintrin.h>

#include <algorithm>

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
void dot_m(int64_t n, const uint16_t* const* h, int64_t n_h, const float* x, int64_t x_stride,
           float* out, int64_t out_stride) {
  for (int64_t j = 0; j < std::min(n_h, kRowsAhead); ++j) prefetch_row(h[j], n);
  for (int64_t j = 0; j < n_h; ++j) {
    if (j + kRowsAhead < n_h) prefetch_row(h[j + kRowsAhead], n);
    __m256 acc[M];
    for (int r = 0; r < M; ++r) acc[r] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const __m256 hv = load_h8(h[j] + i);
      for (int r = 0; r < M; ++r) {
        acc[r] = _mm256_fmadd_ps(hv, _mm256_loadu_ps(x + r * x_stride + i), acc[r]);
      }
    }
    for (int r = 0; r < M; ++r) {
      float sum = hsum(acc[r]);
      for (int64_t k = i; k < n; ++k) sum += _cvtsh_ss(h[j][k]) * x[r * x_stride + k];
      out[r * out_stride + j] = sum;
    }
  }
}

// Elements i0..i0 + 8V of each y row stay in registers while every row of halves is added in,
// their part of the rows ahead prefetched.
template <int M, int V>
void axpy_vectors(int64_t i0, const float* a, int64_t a_stride, const uint16_t* const* h,
                  int64_t n_h, float* y, int64_t y_stride) {
  __m256 acc[M][V];
  for (int r = 0; r < M; ++r) {
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_loadu_ps(y + r * y_stride + i0 + 8 * v);
  }
  for (int64_t j = 0; j < std::min(n_h, kRowsAhead); ++j) prefetch_row(h[j] + i0, 8 * V);
  for (int64_t j = 0; j < n_h; ++j) {
    if (j + kRowsAhead < n_h) prefetch_row(h[j + kRowsAhead] + i0, 8 * V);
    __m256 av[M];
    for (int r = 0; r < M; ++r) av[r] = _mm256_set1_ps(a[r * a_stride + j]);
    for (int v = 0; v < V; ++v) {
      const __m256 hv = load_h8(h[j] + i0 + 8 * v);
      for (int r = 0; r < M; ++r) acc[r][v] = _mm256_fmadd_ps(av[r], hv, acc[r][v]);
    }
  }
  for (int r = 0; r < M; ++r) {
    for (int v = 0; v < V; ++v) _mm256_storeu_ps(y + r * y_stride + i0 + 8 * v, acc[r][v]);
  }
}

// Two vectors of 8 at a time (13 of the 16 ymm registers: 4 rows by 2 vectors of sums, the
// halves and the 4 weights), then one, then the scalar tail.
template <int M>
void axpy_m(int64_t n, const float* a, int64_t a_stride, const uint16_t* const* h, int64_t n_h,
            float* y, int64_t y_stride) {
  int64_t i0 = 0;
  for (; i0 + 16 <= n; i0 += 16) axpy_vectors<M, 2>(i0, a, a_stride, h, n_h, y, y_stride);
  if (i0 + 8 <= n) {
    axpy_vectors<M, 1>(i0, a, a_stride, h, n_h, y, y_stride);
    i0 += 8;
  }
  for (int r = 0; r < M; ++r) {
    for (int64_t j = 0; j < n_h; ++j) {
      for (int64_t i = i0; i < n; ++i) {
        y[r * y_stride + i] += a[r * a_stride + j] * _cvtsh_ss(h[j][i]);
      }
    }
  }
}

void round_to_f16(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_ps(x + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) x[i] = _cvtsh_ss(_cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT));
}

void to_f16(const float* x, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  for (; i < n; ++i) out[i] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
}

}  // namespace

extern const F16Kernels kF16Kernels{dot_rows_in_passes<dot_m<1>, dot_m<2>, dot_m<3>, dot_m<4>>,
                                    axpy_rows_in_passes<axpy_m<1>, axpy_m<2>, axpy_m<3>, axpy_m<4>>,
                                    round_to_f16, to_f16};

}  // namespace engine::avx2
