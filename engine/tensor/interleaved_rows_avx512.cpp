// AVX-512 VNNI kernels for matrices in groups of 16 rows (see interleaved_rows.h), only called
// after interleaved_rows.cpp has checked the CPU.
//
// Each 32-bit lane is one row: dpbusd multiplies a register of 4 weights from each of the 16
// rows by 4 activations broadcast to every lane. A sub-block's integer sums are scaled in int32,
// and the super-block's float work is a handful of instructions for 16 rows. Integer sums per
// sub-block are the reference's, as in the row-wise kernels.

#include "tensor/avx512_intrin.h"
#include "tensor/interleaved_rows.h"

namespace engine::avx512 {

namespace {

inline __m128i load128(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

inline __m512i broadcast4(const void* p) {
  int32_t v;
  __builtin_memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// The activation rows of up to kTile tokens.
struct TokenRows {
  const uint8_t* base;
  size_t stride;
  const BlockQ8_K* operator[](int t) const {
    return reinterpret_cast<const BlockQ8_K*>(base + static_cast<size_t>(t) * stride);
  }
};

// Tokens per tile: each register of weights is unpacked once and multiplied into every token's
// accumulators. Every token's arithmetic is the same whatever the tile's size.
constexpr int kTile = 4;

// One group of 16 Q4_K rows by T tokens; out[t * out_stride + r] for row r of the group.
template <int T>
void tile_q4_k(int64_t nb, const BlockQ4_Kx16* x, TokenRows y, float* out, int64_t out_stride) {
  // Sub-blocks in flight at once: each token has two dpbusd chains per sub-block (its first and
  // second 16 elements), and a lone token needs two sub-blocks' chains to hide dpbusd's latency.
  constexpr int S = T == 1 ? 2 : 1;
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ4_Kx16& g = x[i];
    __m512i sumi[T], summ[T];
    for (int t = 0; t < T; ++t) sumi[t] = summ[t] = _mm512_setzero_si512();
    for (int j0 = 0; j0 < 8; j0 += S) {
      __m512i lo[S][T], hi[S][T];
      for (int s = 0; s < S; ++s) {
        for (int t = 0; t < T; ++t) lo[s][t] = hi[s][t] = _mm512_setzero_si512();
      }
      for (int k = 0; k < 4; ++k) {
        for (int s = 0; s < S; ++s) {
          const __m512i v = _mm512_loadu_si512(g.qs[j0 + s][k]);
          const __m512i q_lo = _mm512_and_si512(v, low4);
          const __m512i q_hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
          for (int t = 0; t < T; ++t) {
            const int8_t* q8 = y[t][i].qs + 32 * (j0 + s) + 4 * k;
            lo[s][t] = _mm512_dpbusd_epi32(lo[s][t], q_lo, broadcast4(q8));
            hi[s][t] = _mm512_dpbusd_epi32(hi[s][t], q_hi, broadcast4(q8 + 16));
          }
        }
      }
      for (int s = 0; s < S; ++s) {
        const int j = j0 + s;
        const __m512i sc = _mm512_cvtepu8_epi32(load128(g.scales[j]));
        // Each lane's min in both 16-bit halves, against the sub-block's two 16-element bsums.
        const __m512i m = _mm512_cvtepu8_epi32(load128(g.mins[j]));
        const __m512i mm = _mm512_or_si512(m, _mm512_slli_epi32(m, 16));
        for (int t = 0; t < T; ++t) {
          const __m512i sub = _mm512_add_epi32(lo[s][t], hi[s][t]);
          sumi[t] = _mm512_add_epi32(sumi[t], _mm512_mullo_epi32(sub, sc));
          summ[t] = _mm512_dpwssd_epi32(summ[t], mm, broadcast4(y[t][i].bsums + 2 * j));
        }
      }
    }
    const __m512 d = _mm512_cvtph_ps(load256(g.d));
    const __m512 dmin = _mm512_cvtph_ps(load256(g.dmin));
    for (int t = 0; t < T; ++t) {
      const __m512 v = _mm512_fnmadd_ps(dmin, _mm512_cvtepi32_ps(summ[t]),
                                        _mm512_mul_ps(d, _mm512_cvtepi32_ps(sumi[t])));
      acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(y[t][i].d), v, acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(out + t * out_stride, acc[t]);
}

// Every group by every group of kTile tokens (the last smaller), tokens outermost so a tile's
// activations stay in L1 across the groups.
void gemm_q4_k(const GemmArgs& a) {
  const int64_t nb = a.n / kQK_K;
  for (int64_t t0 = 0; t0 < a.n_tokens; t0 += kTile) {
    const TokenRows y{a.act + static_cast<size_t>(t0) * a.act_stride, a.act_stride};
    float* out = a.out + t0 * a.out_stride;
    const int64_t nt = a.n_tokens - t0 < kTile ? a.n_tokens - t0 : kTile;
    for (int64_t r = 0; r < a.n_rows; r += kGroupRows) {
      const auto* x = reinterpret_cast<const BlockQ4_Kx16*>(a.w + (r / kGroupRows) * a.w_stride);
      switch (nt) {
        case 4:
          tile_q4_k<4>(nb, x, y, out + r, a.out_stride);
          break;
        case 3:
          tile_q4_k<3>(nb, x, y, out + r, a.out_stride);
          break;
        case 2:
          tile_q4_k<2>(nb, x, y, out + r, a.out_stride);
          break;
        default:
          tile_q4_k<1>(nb, x, y, out + r, a.out_stride);
      }
    }
  }
}

static_assert(kTile == 4, "gemm_q4_k dispatches tiles of 1 to 4 tokens");

}  // namespace

GemmFn group_kernel(GgmlType weight_type) {
  return weight_type == GgmlType::Q4_K ? gemm_q4_k : nullptr;
}

}  // namespace engine::avx512
