// AVX-512 VNNI kernels for matrices in groups of 16 rows (see interleaved_rows.h), only called
// after interleaved_rows.cpp has checked the CPU.
//
// Each 32-bit lane is one row: dpbusd multiplies a register of 4 weights from each of the 16
// rows by 4 activations broadcast to every lane. A sub-block's integer sums are scaled in int32,
// and the super-block's float work is a handful of instructions for 16 rows. Integer sums per
// sub-block are the reference's, as in the row-wise kernels.

#include <type_traits>
#include <vector>

#include "tensor/avx512_tiles.h"
#include "tensor/interleaved_rows.h"

namespace engine::avx512 {

namespace {

inline __m512i broadcast4(const void* p) {
  int32_t v;
  __builtin_memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// One group of 16 Q4_K (or, with each value's fifth bit, Q5_K) rows by T tokens;
// out[t * out_stride + r] for row r of the group.
template <int T, typename Block>
void tile_affine_k(int64_t nb, const Block* x, TokenRows<BlockQ8_K> y, float* out,
                   int64_t out_stride) {
  constexpr bool kHighBits = std::is_same_v<Block, BlockQ5_Kx16>;
  // Sub-blocks in flight at once: each token has two dpbusd chains per sub-block (its first and
  // second 16 elements), and a lone token needs two sub-blocks' chains to hide dpbusd's latency.
  constexpr int S = T == 1 ? 2 : 1;
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const __m512i bit4 = _mm512_set1_epi8(0x10);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const Block& g = x[i];
    __m512i sumi[T], summ[T];
    for (int t = 0; t < T; ++t) sumi[t] = summ[t] = _mm512_setzero_si512();
    for (int j0 = 0; j0 < 8; j0 += S) {
      __m512i lo[S][T], hi[S][T], qh[S];
      for (int s = 0; s < S; ++s) {
        for (int t = 0; t < T; ++t) lo[s][t] = hi[s][t] = _mm512_setzero_si512();
        if constexpr (kHighBits) qh[s] = _mm512_loadu_si512(g.subs[j0 + s].qh);
      }
      for (int k = 0; k < 4; ++k) {
        for (int s = 0; s < S; ++s) {
          const __m512i v = _mm512_loadu_si512(g.subs[j0 + s].qs[k]);
          __m512i q_lo = _mm512_and_si512(v, low4);
          __m512i q_hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
          if constexpr (kHighBits) {
            // Bits 2k and 2k+1 of qh moved to bit 4 (vpternlog's a | (b & c) is 0xf8).
            q_lo = _mm512_ternarylogic_epi32(q_lo, _mm512_slli_epi16(qh[s], 4), bit4, 0xf8);
            q_hi = _mm512_ternarylogic_epi32(q_hi, _mm512_slli_epi16(qh[s], 3), bit4, 0xf8);
            qh[s] = _mm512_srli_epi16(qh[s], 2);
          }
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

// One group of 16 Q6_K rows by T tokens. q is stored as q + 32 in 0..63: multiply unsigned and
// take 32 * sum(scale * bsum) off after.
template <int T>
void tile_q6_k(int64_t nb, const BlockQ6_Kx16* x, TokenRows<BlockQ8_K> y, float* out,
               int64_t out_stride) {
  constexpr int S = T == 1 ? 2 : 1;  // sub-block pairs in flight, as in tile_affine_k
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const __m512i top2 = _mm512_set1_epi8(0x30);
  const __m512i low_half = _mm512_set1_epi32(0xffff);
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ6_Kx16& g = x[i];
    __m512i sumi[T], offset[T];
    for (int t = 0; t < T; ++t) sumi[t] = offset[t] = _mm512_setzero_si512();
    for (int p0 = 0; p0 < 8; p0 += S) {
      __m512i lo[S][T], hi[S][T], qh[S][2];
      for (int s = 0; s < S; ++s) {
        for (int t = 0; t < T; ++t) lo[s][t] = hi[s][t] = _mm512_setzero_si512();
        qh[s][0] = _mm512_loadu_si512(g.pairs[p0 + s].qh[0]);
        qh[s][1] = _mm512_loadu_si512(g.pairs[p0 + s].qh[1]);
      }
      for (int k = 0; k < 4; ++k) {
        for (int s = 0; s < S; ++s) {
          // (low nibble) | (top two bits moved up to bits 4-5): vpternlog's a | (b & c) is 0xf8.
          const __m512i v = _mm512_loadu_si512(g.pairs[p0 + s].ql[k]);
          const __m512i q_lo = _mm512_ternarylogic_epi32(
              _mm512_and_si512(v, low4), _mm512_slli_epi16(qh[s][0], 4), top2, 0xf8);
          const __m512i q_hi =
              _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(v, 4), low4),
                                        _mm512_slli_epi16(qh[s][1], 4), top2, 0xf8);
          qh[s][0] = _mm512_srli_epi16(qh[s][0], 2);
          qh[s][1] = _mm512_srli_epi16(qh[s][1], 2);
          for (int t = 0; t < T; ++t) {
            const int8_t* q8 = y[t][i].qs + 32 * (p0 + s) + 4 * k;
            lo[s][t] = _mm512_dpbusd_epi32(lo[s][t], q_lo, broadcast4(q8));
            hi[s][t] = _mm512_dpbusd_epi32(hi[s][t], q_hi, broadcast4(q8 + 16));
          }
        }
      }
      for (int s = 0; s < S; ++s) {
        const int p = p0 + s;
        const __m512i sc_lo = _mm512_cvtepi8_epi32(load128(g.scales[2 * p]));
        const __m512i sc_hi = _mm512_cvtepi8_epi32(load128(g.scales[2 * p + 1]));
        // 32 * the two sub-blocks' scales in each lane's 16-bit halves, against their bsums.
        const __m512i sc32 = _mm512_or_si512(
            _mm512_and_si512(_mm512_slli_epi32(sc_lo, 5), low_half), _mm512_slli_epi32(sc_hi, 21));
        for (int t = 0; t < T; ++t) {
          sumi[t] =
              _mm512_add_epi32(sumi[t], _mm512_add_epi32(_mm512_mullo_epi32(lo[s][t], sc_lo),
                                                         _mm512_mullo_epi32(hi[s][t], sc_hi)));
          offset[t] = _mm512_dpwssd_epi32(offset[t], sc32, broadcast4(y[t][i].bsums + 2 * p));
        }
      }
    }
    const __m512 d = _mm512_cvtph_ps(load256(g.d));
    for (int t = 0; t < T; ++t) {
      const __m512 v = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(sumi[t], offset[t])));
      acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(y[t][i].d), v, acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(out + t * out_stride, acc[t]);
}

// What a Q8_0 tile needs per token and block besides the quants: the activations' scale, and
// 128 times their sum, which the weights' +128 offset adds to every integer sum.
struct Q8Block {
  float d;
  int32_t offset;
};

// One group of 16 Q8_0 rows by T tokens; blocks[t * nb + i] for token t's block i.
template <int T>
void tile_q8_0(int64_t nb, const BlockQ8_0x16* x, TokenRows<BlockQ8_0> y, const Q8Block* blocks,
               float* out, int64_t out_stride) {
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ8_0x16& g = x[i];
    // Two chains per token, quads 0-3 and 4-7.
    __m512i a[T], b[T];
    for (int t = 0; t < T; ++t) a[t] = b[t] = _mm512_setzero_si512();
    for (int k = 0; k < 4; ++k) {
      const __m512i w0 = _mm512_loadu_si512(g.qs[k]);
      const __m512i w1 = _mm512_loadu_si512(g.qs[k + 4]);
      for (int t = 0; t < T; ++t) {
        const int8_t* q8 = y[t][i].qs + 4 * k;
        a[t] = _mm512_dpbusd_epi32(a[t], w0, broadcast4(q8));
        b[t] = _mm512_dpbusd_epi32(b[t], w1, broadcast4(q8 + 16));
      }
    }
    const __m512 d = _mm512_cvtph_ps(load256(g.d));
    for (int t = 0; t < T; ++t) {
      const Q8Block& yb = blocks[t * nb + i];
      const __m512i sum =
          _mm512_sub_epi32(_mm512_add_epi32(a[t], b[t]), _mm512_set1_epi32(yb.offset));
      acc[t] =
          _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(yb.d)), _mm512_cvtepi32_ps(sum), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) _mm512_storeu_ps(out + t * out_stride, acc[t]);
}

template <typename Block>
using Tile = void (*)(int64_t nb, const Block* x, TokenRows<BlockQ8_K> y, float* out,
                      int64_t out_stride);

// Every group by every group of kTile tokens (the last smaller), tokens outermost so a tile's
// activations stay in L1 across the groups. kTiles[n - 1] computes n tokens.
template <typename Block, Tile<Block>... kTiles>
void gemm_k_groups(const GemmArgs& a) {
  static_assert(sizeof...(kTiles) == kTile);
  static constexpr Tile<Block> tiles[] = {kTiles...};
  const int64_t nb = a.n / kQK_K;
  for (int64_t t0 = 0; t0 < a.n_tokens; t0 += kTile) {
    const TokenRows<BlockQ8_K> y{a.act + static_cast<size_t>(t0) * a.act_stride, a.act_stride};
    float* out = a.out + t0 * a.out_stride;
    const int64_t nt = a.n_tokens - t0 < kTile ? a.n_tokens - t0 : kTile;
    for (int64_t r = 0; r < a.n_rows; r += kGroupRows) {
      const auto* x = reinterpret_cast<const Block*>(a.w + (r / kGroupRows) * a.w_stride);
      tiles[nt - 1](nb, x, y, out + r, a.out_stride);
    }
  }
}

// Sum of a Q8_0 block's 32 quants: offset to unsigned, sum with sad, and take the offset off.
inline int32_t block_sum(const int8_t* qs) {
  const __m256i u = _mm256_xor_si256(load256(qs), _mm256_set1_epi8(static_cast<char>(0x80)));
  const __m256i s = _mm256_sad_epu8(u, _mm256_setzero_si256());
  const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  return static_cast<int32_t>(_mm_cvtsi128_si64(_mm_add_epi64(h, _mm_unpackhi_epi64(h, h)))) -
         128 * 32;
}

// As gemm_k_groups for Q8_0, with each token tile's block scales and sums computed first.
void gemm_q8_0_groups(const GemmArgs& a) {
  static constexpr decltype(&tile_q8_0<1>) tiles[] = {tile_q8_0<1>, tile_q8_0<2>, tile_q8_0<3>,
                                                      tile_q8_0<4>};
  static_assert(sizeof(tiles) / sizeof(tiles[0]) == kTile);
  const int64_t nb = a.n / kQK8_0;
  thread_local std::vector<Q8Block> blocks;
  blocks.resize(static_cast<size_t>(nb) * kTile);
  for (int64_t t0 = 0; t0 < a.n_tokens; t0 += kTile) {
    const TokenRows<BlockQ8_0> y{a.act + static_cast<size_t>(t0) * a.act_stride, a.act_stride};
    float* out = a.out + t0 * a.out_stride;
    const int64_t nt = a.n_tokens - t0 < kTile ? a.n_tokens - t0 : kTile;
    for (int t = 0; t < nt; ++t) {
      for (int64_t i = 0; i < nb; ++i) {
        blocks[t * nb + i] = {_cvtsh_ss(y[t][i].d), 128 * block_sum(y[t][i].qs)};
      }
    }
    for (int64_t r = 0; r < a.n_rows; r += kGroupRows) {
      const auto* x = reinterpret_cast<const BlockQ8_0x16*>(a.w + (r / kGroupRows) * a.w_stride);
      tiles[nt - 1](nb, x, y, blocks.data(), out + r, a.out_stride);
    }
  }
}

}  // namespace

GemmFn group_kernel(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::Q4_K:
      return gemm_k_groups<BlockQ4_Kx16, tile_affine_k<1>, tile_affine_k<2>, tile_affine_k<3>,
                           tile_affine_k<4>>;
    case GgmlType::Q5_K:
      return gemm_k_groups<BlockQ5_Kx16, tile_affine_k<1>, tile_affine_k<2>, tile_affine_k<3>,
                           tile_affine_k<4>>;
    case GgmlType::Q6_K:
      return gemm_k_groups<BlockQ6_Kx16, tile_q6_k<1>, tile_q6_k<2>, tile_q6_k<3>, tile_q6_k<4>>;
    case GgmlType::Q8_0:
      return gemm_q8_0_groups;
    default:
      return nullptr;
  }
}

}  // namespace engine::avx512
