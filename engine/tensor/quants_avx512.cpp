// AVX-512 (F, BW, VL, DQ, VNNI) dot-product kernels, only called after vec_dot.cpp has checked
// the CPU. Types without a kernel here fall back to the AVX2 ones.
//
// Q8_0/Q4_0 take two blocks per 512-bit register and use VNNI's dpbusd for the int8 products;
// Q4_K takes a 64-element chunk (two sub-blocks) per register and folds the sub-block scale in
// with dpwssd. Integer sums per block are the reference's, as in the AVX2 kernels.
// GCC 12's AVX-512 headers seed results with a self-initialised "undefined" vector, which trips
// -Wuninitialized once inlined (GCC bug 105593); the warning points into the header, so silence
// it there only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <cstring>

#include "tensor/quants.h"

namespace engine::avx512 {

namespace {

inline float half(uint16_t h) { return _cvtsh_ss(h); }

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

inline __m512i join(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// d0 in lanes 0-7, d1 in lanes 8-15: the scales of two blocks side by side.
inline __m512 join_scales(float d0, float d1) {
  return _mm512_insertf32x8(_mm512_set1_ps(d0), _mm256_set1_ps(d1), 1);
}

// Signed int8 dot as 16 int32 partial sums of 4 products: dpbusd wants unsigned x signed, so
// the sign of x moves onto y.
inline __m512i dot_i8(__m512i x, __m512i y) {
  const __mmask64 neg = _mm512_movepi8_mask(x);
  const __m512i sy = _mm512_mask_sub_epi8(y, neg, _mm512_setzero_si512(), y);
  return _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_abs_epi8(x), sy);
}

inline __m256i dot_i8(__m256i x, __m256i y) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(x, x),
                             _mm256_sign_epi8(y, x));
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

float dot_f32(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const float*>(w);
  const auto* y = static_cast<const float*>(a);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(y + i + 16), acc1);
    acc2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 32), _mm512_loadu_ps(y + i + 32), acc2);
    acc3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 48), _mm512_loadu_ps(y + i + 48), acc3);
  }
  // The tail, up to 63 elements, under masks.
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - i)) - 1);
    acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i), acc0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

float dot_f16(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  auto ld = [](const uint16_t* p) { return _mm512_cvtph_ps(load256(p)); };
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    acc0 = _mm512_fmadd_ps(ld(x + i), ld(y + i), acc0);
    acc1 = _mm512_fmadd_ps(ld(x + i + 16), ld(y + i + 16), acc1);
    acc2 = _mm512_fmadd_ps(ld(x + i + 32), ld(y + i + 32), acc2);
    acc3 = _mm512_fmadd_ps(ld(x + i + 48), ld(y + i + 48), acc3);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xffff) : __mmask16((1u << (n - i)) - 1);
    const __m512 xv = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, x + i));
    const __m512 yv = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, y + i));
    acc0 = _mm512_fmadd_ps(xv, yv, acc0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

float dot_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ8_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  const int64_t nb = n / kQK8_0;
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    const __m512 d = join_scales(half(x[i].d) * half(y[i].d), half(x[i + 1].d) * half(y[i + 1].d));
    const __m512i s = dot_i8(join(load256(x[i].qs), load256(x[i + 1].qs)),
                             join(load256(y[i].qs), load256(y[i + 1].qs)));
    acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(s), acc);
  }
  float sum = _mm512_reduce_add_ps(acc);
  if (i < nb) {
    const __m256i s = dot_i8(load256(x[i].qs), load256(y[i].qs));
    sum += half(x[i].d) * half(y[i].d) * hsum(_mm256_cvtepi32_ps(s));
  }
  return sum;
}

// The 32 weights of a Q4_0 block as signed int8 in element order.
inline __m256i unpack_q4_0(const BlockQ4_0& b) {
  const __m128i q = load128(b.qs);
  const __m256i v =
      _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0f));
  return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
}

float dot_q4_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  const int64_t nb = n / kQK4_0;
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    const __m512 d = join_scales(half(x[i].d) * half(y[i].d), half(x[i + 1].d) * half(y[i + 1].d));
    const __m512i s = dot_i8(join(unpack_q4_0(x[i]), unpack_q4_0(x[i + 1])),
                             join(load256(y[i].qs), load256(y[i + 1].qs)));
    acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(s), acc);
  }
  float sum = _mm512_reduce_add_ps(acc);
  if (i < nb) {
    const __m256i s = dot_i8(unpack_q4_0(x[i]), load256(y[i].qs));
    sum += half(x[i].d) * half(y[i].d) * hsum(_mm256_cvtepi32_ps(s));
  }
  return sum;
}

// Bytes 0-7 the six-bit scales, 8-15 the mins of a Q4_K block (see quants_avx2.cpp).
inline __m128i scales_mins_k4(const uint8_t* s) {
  uint32_t u[3];
  std::memcpy(u, s, sizeof(u));
  const uint32_t sc_lo = u[0] & 0x3f3f3f3f;
  const uint32_t m_lo = u[1] & 0x3f3f3f3f;
  const uint32_t sc_hi = (u[2] & 0x0f0f0f0f) | ((u[0] >> 2) & 0x30303030);
  const uint32_t m_hi = ((u[2] >> 4) & 0x0f0f0f0f) | ((u[1] >> 2) & 0x30303030);
  return _mm_set_epi32(static_cast<int>(m_hi), static_cast<int>(m_lo), static_cast<int>(sc_hi),
                       static_cast<int>(sc_lo));
}

float dot_q4_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  // Word indices that spread scale 2c over int16 lanes 0-15 and 2c+1 over 16-31.
  __m512i scale_idx[4];
  for (int c = 0; c < 4; ++c) {
    scale_idx[c] = join(_mm256_set1_epi16(static_cast<short>(2 * c)),
                        _mm256_set1_epi16(static_cast<short>(2 * c + 1)));
  }
  __m512 acc = _mm512_setzero_ps();
  __m256 acc_m = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const __m128i sm = scales_mins_k4(x[i].scales);
    // The min term: sum_j m[j] * (bsums[2j] + bsums[2j+1]).
    const __m128i m = _mm_srli_si128(sm, 8);
    const __m256i mins =
        _mm256_madd_epi16(load256(y[i].bsums), _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m, m)));
    acc_m =
        _mm256_fmadd_ps(_mm256_set1_ps(-y[i].d * half(x[i].dmin)), _mm256_cvtepi32_ps(mins), acc_m);

    const __m512i sc = _mm512_castsi128_si512(_mm_cvtepu8_epi16(sm));
    __m512i sumi = _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
      const __m256i q = load256(x[i].qs + 32 * c);
      const __m512i q4 =
          join(_mm256_and_si256(q, low4), _mm256_and_si256(_mm256_srli_epi16(q, 4), low4));
      const __m512i p =
          _mm512_maddubs_epi16(q4, _mm512_loadu_si512(static_cast<const void*>(y[i].qs + 64 * c)));
      sumi = _mm512_dpwssd_epi32(sumi, p, _mm512_permutexvar_epi16(scale_idx[c], sc));
    }
    acc = _mm512_fmadd_ps(_mm512_set1_ps(y[i].d * half(x[i].d)), _mm512_cvtepi32_ps(sumi), acc);
  }
  return _mm512_reduce_add_ps(acc) + hsum(acc_m);
}

}  // namespace

VecDotFn kernel(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::F32:
      return dot_f32;
    case GgmlType::F16:
      return dot_f16;
    case GgmlType::Q4_0:
      return dot_q4_0;
    case GgmlType::Q8_0:
      return dot_q8_0;
    case GgmlType::Q4_K:
      return dot_q4_k;
    default:
      return nullptr;
  }
}

}  // namespace engine::avx512
