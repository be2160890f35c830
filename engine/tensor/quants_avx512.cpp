// AVX-512 (F, BW, VL, DQ, VNNI) dot-product kernels, only called after vec_dot.cpp has checked
// the CPU. Types without a kernel here fall back to the AVX2 ones.
//
// Q8_0/Q4_0 take two blocks per 512-bit register and use VNNI's dpbusd for the int8 products;
// the K-quants take 64 elements per register, multiply with maddubs and fold the sub-block scales
// in with VNNI's dpwssd. Integer sums per block are the reference's, as in the AVX2 kernels.
//
// The small helpers repeat quants_avx2.cpp's on purpose: shared inline code compiled under two
// sets of -m flags could be merged by the linker into the AVX-512 copy and run on AVX2-only CPUs.

// GCC 12's AVX-512 headers seed results with a self-initialised "undefined" vector, which trips
// -Wuninitialized once inlined (GCC bug 105593); the warning points into the header, so silence
// it there only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

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

// The 32 weights of a block as signed int8 in element order.
inline __m256i unpack(const BlockQ8_0& b) { return load256(b.qs); }
inline __m256i unpack(const BlockQ4_0& b) {
  const __m128i q = load128(b.qs);
  const __m256i v =
      _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0f));
  return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
}

template <typename Block>
inline float scale(const Block& x, const BlockQ8_0& y) {
  return half(x.d) * half(y.d);
}

// Q8_0 and Q4_0 against Q8_0: two blocks per register, two registers a step into separate
// accumulators so the FMA latency is hidden.
template <typename Block>
float dot_blocks_32(int64_t nb, const Block* x, const BlockQ8_0* y) {
  __m512 acc0 = _mm512_setzero_ps();
  __m512 acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 4 <= nb; i += 4) {
    const __m512i s0 =
        dot_i8(join(unpack(x[i]), unpack(x[i + 1])), join(load256(y[i].qs), load256(y[i + 1].qs)));
    const __m512i s1 = dot_i8(join(unpack(x[i + 2]), unpack(x[i + 3])),
                              join(load256(y[i + 2].qs), load256(y[i + 3].qs)));
    acc0 = _mm512_fmadd_ps(join_scales(scale(x[i], y[i]), scale(x[i + 1], y[i + 1])),
                           _mm512_cvtepi32_ps(s0), acc0);
    acc1 = _mm512_fmadd_ps(join_scales(scale(x[i + 2], y[i + 2]), scale(x[i + 3], y[i + 3])),
                           _mm512_cvtepi32_ps(s1), acc1);
  }
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
  for (; i < nb; ++i) {
    const __m256i s = dot_i8(unpack(x[i]), load256(y[i].qs));
    sum += scale(x[i], y[i]) * hsum(_mm256_cvtepi32_ps(s));
  }
  return sum;
}

float dot_q8_0(int64_t n, const void* w, const void* a) {
  return dot_blocks_32(n / kQK8_0, static_cast<const BlockQ8_0*>(w),
                       static_cast<const BlockQ8_0*>(a));
}

float dot_q4_0(int64_t n, const void* w, const void* a) {
  return dot_blocks_32(n / kQK4_0, static_cast<const BlockQ4_0*>(w),
                       static_cast<const BlockQ8_0*>(a));
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

// sum_j m[j] * (bsums[2j] + bsums[2j+1]) as 8 int32, for the min term of Q4_K/Q5_K.
inline __m256i mins_dot_bsums(__m128i scales_mins, const int16_t* bsums) {
  const __m128i m = _mm_srli_si128(scales_mins, 8);
  return _mm256_madd_epi16(load256(bsums), _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m, m)));
}

// Q4_K (kHighBits false) and Q5_K (true): one 64-element chunk, two sub-blocks, per register.
template <bool kHighBits, typename Block>
float dot_affine_k(int64_t nb, const Block* x, const BlockQ8_K* y) {
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const __m512i bit4 = _mm512_set1_epi8(0x10);
  // Bit 2c of qh is the fifth bit of the low-nibble sub-block, 2c+1 of the high one: shift each
  // to bit 4 (16-bit shifts leak between bytes only outside the bit kept).
  const __m512i hshift = join(_mm256_set1_epi16(4), _mm256_set1_epi16(3));
  // Word indices that spread scale 2c over int16 lanes 0-15 and 2c+1 over 16-31.
  __m512i scale_idx[4];
  for (int c = 0; c < 4; ++c) {
    scale_idx[c] = join(_mm256_set1_epi16(static_cast<short>(2 * c)),
                        _mm256_set1_epi16(static_cast<short>(2 * c + 1)));
  }
  __m512 acc = _mm512_setzero_ps();
  __m256 acc_m = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const __m128i sm = scales_mins_k4(x[i].scales);
    acc_m = _mm256_fmadd_ps(_mm256_set1_ps(-y[i].d * half(x[i].dmin)),
                            _mm256_cvtepi32_ps(mins_dot_bsums(sm, y[i].bsums)), acc_m);
    const __m512i sc = _mm512_castsi128_si512(_mm_cvtepu8_epi16(sm));
    __m512i qh = _mm512_setzero_si512();
    if constexpr (kHighBits) {
      const __m256i h = load256(x[i].qh);
      qh = join(h, h);
    }
    __m512i sumi = _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
      const __m256i q = load256(x[i].qs + 32 * c);
      __m512i q4 = join(_mm256_and_si256(q, low4), _mm256_and_si256(_mm256_srli_epi16(q, 4), low4));
      if constexpr (kHighBits) {
        q4 = _mm512_or_si512(q4, _mm512_and_si512(_mm512_sllv_epi16(qh, hshift), bit4));
        qh = _mm512_srli_epi16(qh, 2);
      }
      const __m512i p = _mm512_maddubs_epi16(q4, _mm512_loadu_si512(y[i].qs + 64 * c));
      sumi = _mm512_dpwssd_epi32(sumi, p, _mm512_permutexvar_epi16(scale_idx[c], sc));
    }
    acc = _mm512_fmadd_ps(_mm512_set1_ps(y[i].d * half(x[i].d)), _mm512_cvtepi32_ps(sumi), acc);
  }
  return _mm512_reduce_add_ps(acc) + hsum(acc_m);
}

float dot_q4_k(int64_t n, const void* w, const void* a) {
  return dot_affine_k<false>(n / kQK_K, static_cast<const BlockQ4_K*>(w),
                             static_cast<const BlockQ8_K*>(a));
}

float dot_q5_k(int64_t n, const void* w, const void* a) {
  return dot_affine_k<true>(n / kQK_K, static_cast<const BlockQ5_K*>(w),
                            static_cast<const BlockQ8_K*>(a));
}

// Q6_K: per half of 128, ql's 64 bytes give elements 0-63 in their low nibbles and 64-127 in
// their high ones, so each half is two registers; the 16-element groups map to 8 int16 lanes.
float dot_q6_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const __m512i bits45 = _mm512_set1_epi8(0x30);
  // Top bits: pairs 0, 1 (elements 0-63) shift up 4 and 2; pairs 2, 3 (64-127) by 0 and down 2.
  const __m512i shift_a = join(_mm256_set1_epi16(4), _mm256_set1_epi16(2));
  const __m512i shift_b = join(_mm256_setzero_si256(), _mm256_set1_epi16(2));
  // Scale index of int16 lane L for register r (0-3 over the block): 4r + L/8. A plain local
  // struct, not std::array, so no template code is instantiated under these -m flags.
  struct ScaleIdx {
    int16_t v[4][32];
  };
  static constexpr ScaleIdx kScaleIdx = [] {
    ScaleIdx t{};
    for (int r = 0; r < 4; ++r) {
      for (int l = 0; l < 32; ++l) t.v[r][l] = static_cast<int16_t>(4 * r + l / 8);
    }
    return t;
  }();
  __m512i scale_idx[4];
  for (int r = 0; r < 4; ++r) scale_idx[r] = _mm512_loadu_si512(kScaleIdx.v[r]);
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    // q is stored as q+32 in 0..63: multiply unsigned and take 32 * sum(scale * bsum) off after.
    const __m256i sc16 = _mm256_cvtepi8_epi16(load128(x[i].scales));
    const __m256i offset = _mm256_madd_epi16(load256(y[i].bsums), sc16);
    const __m512i sc = _mm512_castsi256_si512(sc16);
    __m512i sumi = _mm512_setzero_si512();
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = _mm512_loadu_si512(x[i].ql + 64 * h);
      const __m256i qh = load256(x[i].qh + 32 * h);
      const __m512i qh2 = join(qh, qh);
      const __m512i qa = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                         _mm512_and_si512(_mm512_sllv_epi16(qh2, shift_a), bits45));
      const __m512i qb = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                         _mm512_and_si512(_mm512_srlv_epi16(qh2, shift_b), bits45));
      const __m512i pa = _mm512_maddubs_epi16(qa, _mm512_loadu_si512(y[i].qs + 128 * h));
      const __m512i pb = _mm512_maddubs_epi16(qb, _mm512_loadu_si512(y[i].qs + 128 * h + 64));
      sumi = _mm512_dpwssd_epi32(sumi, pa, _mm512_permutexvar_epi16(scale_idx[2 * h], sc));
      sumi = _mm512_dpwssd_epi32(sumi, pb, _mm512_permutexvar_epi16(scale_idx[2 * h + 1], sc));
    }
    // Take the offset's 8 lanes off the low half of the 16 (zero-extended: the sum is all that
    // counts).
    sumi = _mm512_sub_epi32(sumi, _mm512_zextsi256_si512(_mm256_slli_epi32(offset, 5)));
    acc = _mm512_fmadd_ps(_mm512_set1_ps(y[i].d * half(x[i].d)), _mm512_cvtepi32_ps(sumi), acc);
  }
  return _mm512_reduce_add_ps(acc);
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
    case GgmlType::Q5_K:
      return dot_q5_k;
    case GgmlType::Q6_K:
      return dot_q6_k;
    default:
      return nullptr;
  }
}

}  // namespace engine::avx512
