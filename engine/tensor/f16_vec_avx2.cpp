// AVX2 + FMA + F16C versions of f16_vec.h's kernels.
#include <immintrin.h>

#include "tensor/f16_vec.h"

namespace engine::avx2 {
namespace {

inline __m256 load_h8(const uint16_t* h) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)));
}

float dot(int64_t n, const uint16_t* h, const float* x) {
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(load_h8(h + i), _mm256_loadu_ps(x + i), acc);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  float sum = _mm_cvtss_f32(s);
  for (; i < n; ++i) sum += _cvtsh_ss(h[i]) * x[i];
  return sum;
}

void axpy(int64_t n, float a, const uint16_t* h, float* y) {
  const __m256 av = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, load_h8(h + i), _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += a * _cvtsh_ss(h[i]);
}

}  // namespace

extern const F16Kernels kF16Kernels{dot, axpy};

}  // namespace engine::avx2
