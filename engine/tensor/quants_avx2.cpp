// AVX2 + FMA + F16C dot-product kernels. Built with -mavx2 -mfma -mf16c and only called after
// gemm.cpp has checked the CPU.
//
// Quantized kernels multiply unsigned 4/5/6-bit weights by signed int8 activations with
// maddubs (pairs summed into int16, which cannot overflow for these ranges), widen with madd
// (applying the sub-block scale on the way), and keep integer sums per super-block so the result
// is the reference's integers times the block floats.
#include <immintrin.h>

#include <cstring>

#include "tensor/gemm_dots.h"
#include "tensor/quants.h"

namespace engine::avx2 {

namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float half(uint16_t h) { return _cvtsh_ss(h); }

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }

// Dot of 32 signed int8 pairs as 8 int32 partial sums. maddubs takes unsigned x signed, so the
// sign of x moves onto y.
inline __m256i dot_i8(__m256i x, __m256i y) {
  const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
  return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

// Broadcasts int16 lane j of a 128-bit lane to the whole lane (per 128-bit half).
inline __m256i splat16(__m256i v, int j) {
  return _mm256_shuffle_epi8(v, _mm256_set1_epi16(static_cast<short>(0x0100 + 0x0202 * j)));
}

float dot_f32(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const float*>(w);
  const auto* y = static_cast<const float*>(a);
  // Four accumulators hide the FMA latency.
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc0);
  }
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) sum += x[i] * y[i];
  return sum;
}

float dot_f16(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  auto ld = [](const uint16_t* p) { return _mm256_cvtph_ps(load128(p)); };
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(ld(x + i), ld(y + i), acc0);
    acc1 = _mm256_fmadd_ps(ld(x + i + 8), ld(y + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(ld(x + i + 16), ld(y + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(ld(x + i + 24), ld(y + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(ld(x + i), ld(y + i), acc0);
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) sum += half(x[i]) * half(y[i]);
  return sum;
}

// One Q8_0/Q4_0 block is too little work to hide the FMA latency behind: take two blocks a step
// into two accumulators.
template <typename Block, typename Unpack>
float dot_blocks_32(int64_t nb, const Block* x, const BlockQ8_0* y, Unpack unpack) {
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) {
    const __m256i s0 = dot_i8(unpack(x[i]), load256(y[i].qs));
    const __m256i s1 = dot_i8(unpack(x[i + 1]), load256(y[i + 1].qs));
    acc0 =
        _mm256_fmadd_ps(_mm256_set1_ps(half(x[i].d) * half(y[i].d)), _mm256_cvtepi32_ps(s0), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(half(x[i + 1].d) * half(y[i + 1].d)),
                           _mm256_cvtepi32_ps(s1), acc1);
  }
  if (i < nb) {
    const __m256i s0 = dot_i8(unpack(x[i]), load256(y[i].qs));
    acc0 =
        _mm256_fmadd_ps(_mm256_set1_ps(half(x[i].d) * half(y[i].d)), _mm256_cvtepi32_ps(s0), acc0);
  }
  return hsum(_mm256_add_ps(acc0, acc1));
}

float dot_q8_0(int64_t n, const void* w, const void* a) {
  return dot_blocks_32(n / kQK8_0, static_cast<const BlockQ8_0*>(w),
                       static_cast<const BlockQ8_0*>(a),
                       [](const BlockQ8_0& b) { return load256(b.qs); });
}

float dot_q4_0(int64_t n, const void* w, const void* a) {
  return dot_blocks_32(n / kQK4_0, static_cast<const BlockQ4_0*>(w),
                       static_cast<const BlockQ8_0*>(a), [](const BlockQ4_0& b) {
                         // Elements 0-15 are the low nibbles, 16-31 the high ones.
                         const __m128i q = load128(b.qs);
                         const __m256i v = _mm256_and_si256(
                             _mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0f));
                         return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
                       });
}

// Unpacks the 12 bytes of six-bit scales and mins: bytes 0-7 the scales, 8-15 the mins.
inline __m128i scales_mins_k4(const uint8_t* s) {
  uint32_t u[3];
  std::memcpy(u, s, sizeof(u));
  const uint32_t sc_lo = u[0] & 0x3f3f3f3f;
  const uint32_t m_lo = u[1] & 0x3f3f3f3f;
  // Sub-blocks 4-7: low 4 bits from bytes 8-11, top 2 from the top bits of bytes 0-3 / 4-7.
  const uint32_t sc_hi = (u[2] & 0x0f0f0f0f) | ((u[0] >> 2) & 0x30303030);
  const uint32_t m_hi = ((u[2] >> 4) & 0x0f0f0f0f) | ((u[1] >> 2) & 0x30303030);
  return _mm_set_epi32(static_cast<int>(m_hi), static_cast<int>(m_lo), static_cast<int>(sc_hi),
                       static_cast<int>(sc_lo));
}

// sum_j m[j] * (bsums[2j] + bsums[2j+1]) as 8 int32, for the min term of Q4_K/Q5_K.
inline __m256i mins_dot_bsums(__m128i scales_mins, const int16_t* bsums) {
  const __m128i m = _mm_srli_si128(scales_mins, 8);
  const __m256i m_pairs = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(m, m));
  return _mm256_madd_epi16(load256(bsums), m_pairs);
}

// Q4_K (kHighBits false) and Q5_K (true) differ only in the fifth bit from qh.
template <bool kHighBits, typename Block>
float dot_affine_k(int64_t nb, const Block* x, const BlockQ8_K* y) {
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const __m256i bit4 = _mm256_set1_epi8(0x10);
  __m256 acc = _mm256_setzero_ps();
  __m256 acc_m = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const __m128i sm = scales_mins_k4(x[i].scales);
    acc_m = _mm256_fmadd_ps(_mm256_set1_ps(-y[i].d * half(x[i].dmin)),
                            _mm256_cvtepi32_ps(mins_dot_bsums(sm, y[i].bsums)), acc_m);

    const __m256i sc = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(sm));
    const int8_t* q8 = y[i].qs;
    __m256i hbits = _mm256_setzero_si256();
    if constexpr (kHighBits) hbits = load256(x[i].qh);
    __m256i sumi = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i q = load256(x[i].qs + 32 * c);
      __m256i lo = _mm256_and_si256(q, low4);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
      if constexpr (kHighBits) {
        // Bits 2c and 2c+1 of qh; hbits is shifted down 2 per chunk. 16-bit shifts leak bits
        // between bytes only outside the bits read.
        lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(hbits, 4), bit4));
        hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(hbits, 3), bit4));
        hbits = _mm256_srli_epi16(hbits, 2);
      }
      const __m256i p0 = _mm256_maddubs_epi16(lo, load256(q8 + 64 * c));
      const __m256i p1 = _mm256_maddubs_epi16(hi, load256(q8 + 64 * c + 32));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p0, splat16(sc, 2 * c)));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p1, splat16(sc, 2 * c + 1)));
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * half(x[i].d)), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum(_mm256_add_ps(acc, acc_m));
}

float dot_q4_k(int64_t n, const void* w, const void* a) {
  return dot_affine_k<false>(n / kQK_K, static_cast<const BlockQ4_K*>(w),
                             static_cast<const BlockQ8_K*>(a));
}

float dot_q5_k(int64_t n, const void* w, const void* a) {
  return dot_affine_k<true>(n / kQK_K, static_cast<const BlockQ5_K*>(w),
                            static_cast<const BlockQ8_K*>(a));
}

float dot_q6_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const __m256i bits45 = _mm256_set1_epi8(0x30);
  // Per 32-element chunk k of a half: group 2k in the low 128-bit lane, 2k+1 in the high one.
  auto chunk_scales = [](__m256i sc, int k) {
    const __m128i lo = _mm_set1_epi16(static_cast<short>(0x0100 + 0x0404 * k));
    const __m128i hi = _mm_set1_epi16(static_cast<short>(0x0302 + 0x0404 * k));
    return _mm256_shuffle_epi8(sc, _mm256_set_m128i(hi, lo));
  };
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    // q is stored as q+32 in 0..63: multiply unsigned and take 32 * sum(scale * bsum) off after.
    const __m256i sc_all = _mm256_cvtepi8_epi16(load128(x[i].scales));
    const __m256i offset = _mm256_madd_epi16(load256(y[i].bsums), sc_all);
    __m256i sumi = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = x[i].ql + 64 * h;
      const int8_t* q8 = y[i].qs + 128 * h;
      const __m256i sc = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(
          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x[i].scales + 8 * h))));
      const __m256i l0 = load256(ql);
      const __m256i l1 = load256(ql + 32);
      const __m256i qh = load256(x[i].qh + 32 * h);
      const __m256i q0 = _mm256_or_si256(_mm256_and_si256(l0, low4),
                                         _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45));
      const __m256i q1 = _mm256_or_si256(_mm256_and_si256(l1, low4),
                                         _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45));
      const __m256i q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4),
                                         _mm256_and_si256(qh, bits45));
      const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4),
                                         _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45));
      const __m256i p0 = _mm256_maddubs_epi16(q0, load256(q8));
      const __m256i p1 = _mm256_maddubs_epi16(q1, load256(q8 + 32));
      const __m256i p2 = _mm256_maddubs_epi16(q2, load256(q8 + 64));
      const __m256i p3 = _mm256_maddubs_epi16(q3, load256(q8 + 96));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p0, chunk_scales(sc, 0)));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p1, chunk_scales(sc, 1)));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p2, chunk_scales(sc, 2)));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p3, chunk_scales(sc, 3)));
    }
    sumi = _mm256_sub_epi32(sumi, _mm256_slli_epi32(offset, 5));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * half(x[i].d)), _mm256_cvtepi32_ps(sumi), acc);
  }
  return hsum(acc);
}

}  // namespace

GemmFn kernel(GgmlType weight_type) {
  return dot_kernels<dot_f32, dot_f16, dot_q4_0, dot_q8_0, dot_q4_k, dot_q5_k, dot_q6_k>(
      weight_type);
}

}  // namespace engine::avx2
