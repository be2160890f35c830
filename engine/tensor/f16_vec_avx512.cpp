// AVX-512 versions of f16_vec.h's kernels: 16 halves a step, the tail under a mask, up to four
// float rows per pass over the rows of halves.
#include <algorithm>

#include "tensor/avx512_intrin.h"
#include "tensor/f16_rows.h"
#include "tensor/f16_vec.h"

namespace engine::avx512 {
namespace {

// Lanes of the 16 from element i that are below n.
inline __mmask16 lanes_below(int64_t n, int64_t i) {
  const int64_t left = std::clamp<int64_t>(n - i, 0, 16);
  return static_cast<__mmask16>((1u << left) - 1);
}

inline __m512 load_h16(__mmask16 m, const uint16_t* h) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, h));
}

template <int M>
void dot_m(int64_t n, const uint16_t* const* h, int64_t n_h, const float* x, int64_t x_stride,
           float* out, int64_t out_stride) {
  for (int64_t j = 0; j < std::min(n_h, kRowsAhead); ++j) prefetch_row(h[j], n);
  for (int64_t j = 0; j < n_h; ++j) {
    if (j + kRowsAhead < n_h) prefetch_row(h[j + kRowsAhead], n);
    __m512 acc[M];
    for (int r = 0; r < M; ++r) acc[r] = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
      const __mmask16 m = lanes_below(n, i);
      const __m512 hv = load_h16(m, h[j] + i);
      for (int r = 0; r < M; ++r) {
        acc[r] = _mm512_fmadd_ps(hv, _mm512_maskz_loadu_ps(m, x + r * x_stride + i), acc[r]);
      }
    }
    for (int r = 0; r < M; ++r) out[r * out_stride + j] = _mm512_reduce_add_ps(acc[r]);
  }
}

// Up to 64 elements of each y row (from i0, of n) stay in registers while every row of halves is
// added in; each pass prefetches its part of the rows ahead.
template <int M>
void axpy_m(int64_t n, const float* a, int64_t a_stride, const uint16_t* const* h, int64_t n_h,
            float* y, int64_t y_stride) {
  constexpr int kVecs = 4;
  for (int64_t i0 = 0; i0 < n; i0 += 16 * kVecs) {
    const int live = static_cast<int>(std::min<int64_t>(n - i0 + 15, 16 * kVecs) / 16);
    const int64_t width = std::min<int64_t>(n - i0, 16 * kVecs);
    __mmask16 mask[kVecs];
    __m512 acc[M][kVecs];
    for (int v = 0; v < kVecs; ++v) {
      mask[v] = lanes_below(n, i0 + 16 * v);
      for (int r = 0; r < M; ++r) {
        acc[r][v] = v < live ? _mm512_maskz_loadu_ps(mask[v], y + r * y_stride + i0 + 16 * v)
                             : _mm512_setzero_ps();
      }
    }
    for (int64_t j = 0; j < std::min(n_h, kRowsAhead); ++j) prefetch_row(h[j] + i0, width);
    for (int64_t j = 0; j < n_h; ++j) {
      if (j + kRowsAhead < n_h) prefetch_row(h[j + kRowsAhead] + i0, width);
      __m512 av[M];
      for (int r = 0; r < M; ++r) av[r] = _mm512_set1_ps(a[r * a_stride + j]);
      for (int v = 0; v < kVecs; ++v) {
        if (v >= live) break;
        const __m512 hv = load_h16(mask[v], h[j] + i0 + 16 * v);
        for (int r = 0; r < M; ++r) acc[r][v] = _mm512_fmadd_ps(av[r], hv, acc[r][v]);
      }
    }
    for (int v = 0; v < live; ++v) {
      for (int r = 0; r < M; ++r) {
        _mm512_mask_storeu_ps(y + r * y_stride + i0 + 16 * v, mask[v], acc[r][v]);
      }
    }
  }
}

void round_to_f16(float* x, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes_below(n, i);
    const __m256i h = _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm512_mask_storeu_ps(x + i, m, _mm512_cvtph_ps(h));
  }
}

void to_f16(const float* x, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = lanes_below(n, i);
    const __m256i h = _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_mask_storeu_epi16(out + i, m, h);
  }
}

}  // namespace

extern const F16Kernels kF16Kernels{dot_rows_in_passes<dot_m<1>, dot_m<2>, dot_m<3>, dot_m<4>>,
                                    axpy_rows_in_passes<axpy_m<1>, axpy_m<2>, axpy_m<3>, axpy_m<4>>,
                                    round_to_f16, to_f16};

}  // namespace engine::avx512
