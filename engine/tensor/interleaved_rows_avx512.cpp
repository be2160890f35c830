// AVX-512 VNNI kernels for matrices in groups of 16 rows (see interleaved_rows.h), only called
// after interleaved_rows.cpp has checked the CPU.
//
// Each 32-bit lane is one row: dpbusd multiplies a register of 4 weights from each of the 16
// rows by 4 activations broadcast to every lane. A sub-block's integer sums are scaled in int32,
// and the super-block's float work is a handful of instructions for 16 rows. Integer sums per
// sub-block are the reference's, as in the row-wise kernels.

#include <algorithm>
#include <limits>
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

// Asks for the lines of the block `ahead` bytes past b into L1; nothing when ahead is 0.
template <typename Block>
inline void prefetch_block(const Block* b, size_t ahead) {
  if (ahead == 0) return;
  const char* p = reinterpret_cast<const char*>(b) + ahead;
  for (size_t c = 0; c < sizeof(Block); c += 64) _mm_prefetch(p + c, _MM_HINT_T0);
}

// Tiles of the grouped kernels are 1 to kTile tokens, or kWideTile. A tile unpacks each block
// once for all its tokens. Wide tiles unpack half as often, and one dpbusd chain per token and
// sub-block (where the sub-block has one scale) keeps enough chains in flight; their integer sums
// are exact, so a token's result is the same in any tile. 16 tokens in two wide tiles rather than
// four ran 7-16% faster with the weights in L2 (Q6_K 14%) and 4-12% from memory.
constexpr int kWideTile = 8;

// Tokens of the next tile when n are left.
inline int64_t tile_tokens(int64_t n) {
  return n >= kWideTile ? kWideTile : std::min<int64_t>(kTile, n);
}

// v shifted left by N bits within 16-bit lanes, or right by -N.
template <int N>
inline __m512i shift16(__m512i v) {
  if constexpr (N > 0) return _mm512_slli_epi16(v, N);
  if constexpr (N < 0) return _mm512_srli_epi16(v, -N);
  return v;
}

// f.template operator()<K>() for K = 0, 1, 2, 3: the four quads of a sub-block, with K a
// constant so that each quad's bit shifts are immediates.
template <typename F>
inline void for_each_quad(F f) {
  f.template operator()<0>();
  f.template operator()<1>();
  f.template operator()<2>();
  f.template operator()<3>();
}

// Blocks i0..i1 of one group x of 16 Q4_K (or, with each value's fifth bit, Q5_K) rows by T
// tokens, added to acc[t] (lane r for row r of the group). sub_sums[t * sums_stride + 8 * i + j]
// is the sum of token t's activations in sub-block j of block i.
template <int T, typename Block>
inline void affine_k_blocks(const Block* x, int64_t i0, int64_t i1, TokenRows<BlockQ8_K> y,
                            const int16_t* sub_sums, int64_t sums_stride, __m512* acc) {
  constexpr bool kHighBits = std::is_same_v<Block, BlockQ5_Kx16>;
  // Sub-blocks in flight at once, and whether each token's first and second 16 elements of a
  // sub-block share one dpbusd chain: see kWideTile.
  constexpr int S = T == 1 ? 2 : 1;
  constexpr bool kOneChain = T == kWideTile;
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const __m512i bit4 = _mm512_set1_epi8(0x10);
  for (int64_t i = i0; i < i1; ++i) {
    const Block& g = x[i];
    __m512i sumi[T], summ[T];
    for (int t = 0; t < T; ++t) sumi[t] = summ[t] = _mm512_setzero_si512();
    for (int j0 = 0; j0 < 8; j0 += S) {
      __m512i lo[S][T], hi[S][T], qh[S];
      for (int s = 0; s < S; ++s) {
        for (int t = 0; t < T; ++t) lo[s][t] = hi[s][t] = _mm512_setzero_si512();
        if constexpr (kHighBits) qh[s] = load512_once(g.subs[j0 + s].qh);
      }
      for_each_quad([&]<int K>() {
        for (int s = 0; s < S; ++s) {
          const __m512i v = load512_once(g.subs[j0 + s].qs[K]);
          __m512i q_lo = _mm512_and_si512(v, low4);
          __m512i q_hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
          if constexpr (kHighBits) {
            // Bits 2K and 2K+1 of qh moved to bit 4 (vpternlog's a | (b & c) is 0xf8).
            q_lo = _mm512_ternarylogic_epi32(q_lo, shift16<4 - 2 * K>(qh[s]), bit4, 0xf8);
            q_hi = _mm512_ternarylogic_epi32(q_hi, shift16<3 - 2 * K>(qh[s]), bit4, 0xf8);
          }
          for (int t = 0; t < T; ++t) {
            const int8_t* q8 = y[t][i].qs + 32 * (j0 + s) + 4 * K;
            lo[s][t] = _mm512_dpbusd_epi32(lo[s][t], q_lo, broadcast4(q8));
            __m512i& h = kOneChain ? lo[s][t] : hi[s][t];
            h = _mm512_dpbusd_epi32(h, q_hi, broadcast4(q8 + 16));
          }
        }
      });
      for (int s = 0; s < S; ++s) {
        const __m512i sc = _mm512_cvtepu8_epi32(load128(g.scales[j0 + s]));
        for (int t = 0; t < T; ++t) {
          const __m512i sub = kOneChain ? lo[s][t] : _mm512_add_epi32(lo[s][t], hi[s][t]);
          sumi[t] = _mm512_add_epi32(sumi[t], _mm512_mullo_epi32(sub, sc));
        }
      }
    }
    // The mins of sub-blocks 2p and 2p + 1 in each lane's 16-bit halves, against their sums of
    // activations: one dpwssd per two sub-blocks.
    for (int p = 0; p < 4; ++p) {
      const __m512i m =
          _mm512_or_si512(_mm512_cvtepu8_epi32(load128(g.mins[2 * p])),
                          _mm512_slli_epi32(_mm512_cvtepu8_epi32(load128(g.mins[2 * p + 1])), 16));
      for (int t = 0; t < T; ++t) {
        summ[t] =
            _mm512_dpwssd_epi32(summ[t], m, broadcast4(sub_sums + t * sums_stride + 8 * i + 2 * p));
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
}

// As affine_k_blocks for Q6_K. q is stored as q + 32 in 0..63: multiply unsigned and take
// 32 * sum(scale * bsum) off after.
template <int T>
inline void q6_k_blocks(const BlockQ6_Kx16* x, int64_t i0, int64_t i1, TokenRows<BlockQ8_K> y,
                        __m512* acc) {
  constexpr int S = T == 1 ? 2 : 1;  // sub-block pairs in flight, as in affine_k_blocks
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const __m512i top2 = _mm512_set1_epi8(0x30);
  for (int64_t i = i0; i < i1; ++i) {
    const BlockQ6_Kx16& g = x[i];
    __m512i sumi[T];
    for (int t = 0; t < T; ++t) sumi[t] = _mm512_setzero_si512();
    for (int p0 = 0; p0 < 8; p0 += S) {
      __m512i lo[S][T], hi[S][T], qh[S][2];
      for (int s = 0; s < S; ++s) {
        for (int t = 0; t < T; ++t) lo[s][t] = hi[s][t] = _mm512_setzero_si512();
        qh[s][0] = load512_once(g.pairs[p0 + s].qh[0]);
        qh[s][1] = load512_once(g.pairs[p0 + s].qh[1]);
      }
      for_each_quad([&]<int K>() {
        for (int s = 0; s < S; ++s) {
          // (low nibble) | (bits 2K, 2K+1 of qh moved to bits 4-5): vpternlog's a | (b & c) is
          // 0xf8.
          const __m512i v = load512_once(g.pairs[p0 + s].ql[K]);
          const __m512i q_lo = _mm512_ternarylogic_epi32(_mm512_and_si512(v, low4),
                                                         shift16<4 - 2 * K>(qh[s][0]), top2, 0xf8);
          const __m512i q_hi =
              _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(v, 4), low4),
                                        shift16<4 - 2 * K>(qh[s][1]), top2, 0xf8);
          for (int t = 0; t < T; ++t) {
            const int8_t* q8 = y[t][i].qs + 32 * (p0 + s) + 4 * K;
            lo[s][t] = _mm512_dpbusd_epi32(lo[s][t], q_lo, broadcast4(q8));
            hi[s][t] = _mm512_dpbusd_epi32(hi[s][t], q_hi, broadcast4(q8 + 16));
          }
        }
      });
      for (int s = 0; s < S; ++s) {
        const int p = p0 + s;
        const __m512i sc_lo = _mm512_cvtepi8_epi32(load128(g.scales[2 * p]));
        const __m512i sc_hi = _mm512_cvtepi8_epi32(load128(g.scales[2 * p + 1]));
        for (int t = 0; t < T; ++t) {
          sumi[t] =
              _mm512_add_epi32(sumi[t], _mm512_add_epi32(_mm512_mullo_epi32(lo[s][t], sc_lo),
                                                         _mm512_mullo_epi32(hi[s][t], sc_hi)));
        }
      }
    }
    // 32 * the scales of sub-blocks 2p and 2p + 1 in each lane's 16-bit halves, against their
    // bsums: one dpwssd per two sub-blocks.
    __m512i offset[T];
    for (int t = 0; t < T; ++t) offset[t] = _mm512_setzero_si512();
    for (int p = 0; p < 8; ++p) {
      const __m512i sc32 = _mm512_or_si512(
          _mm512_and_si512(_mm512_slli_epi32(_mm512_cvtepi8_epi32(load128(g.scales[2 * p])), 5),
                           _mm512_set1_epi32(0xffff)),
          _mm512_slli_epi32(_mm512_cvtepi8_epi32(load128(g.scales[2 * p + 1])), 21));
      for (int t = 0; t < T; ++t) {
        offset[t] = _mm512_dpwssd_epi32(offset[t], sc32, broadcast4(y[t][i].bsums + 2 * p));
      }
    }
    const __m512 d = _mm512_cvtph_ps(load256(g.d));
    for (int t = 0; t < T; ++t) {
      const __m512 v = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(sumi[t], offset[t])));
      acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(y[t][i].d), v, acc[t]);
    }
  }
}

// What a Q8_0 tile needs per token and block besides the quants: the activations' scale, and
// 128 times their sum, which the weights' +128 offset adds to every integer sum.
struct Q8Block {
  float d;
  int32_t offset;
};

// As affine_k_blocks for Q8_0, prefetching the lines `ahead` bytes past each block first;
// blocks[t * nb + i] for token t's block i.
template <int T>
inline void q8_0_blocks(const BlockQ8_0x16* x, int64_t i0, int64_t i1, size_t ahead,
                        TokenRows<BlockQ8_0> y, const Q8Block* blocks, int64_t nb, __m512* acc) {
  for (int64_t i = i0; i < i1; ++i) {
    const BlockQ8_0x16& g = x[i];
    prefetch_block(&g, ahead);
    // Two chains per token, quads 0-3 and 4-7, or one in a wide tile.
    constexpr bool kOneChain = T == kWideTile;
    __m512i a[T], b[T];
    for (int t = 0; t < T; ++t) a[t] = b[t] = _mm512_setzero_si512();
    for (int k = 0; k < 4; ++k) {
      const __m512i w0 = _mm512_loadu_si512(g.qs[k]);
      const __m512i w1 = _mm512_loadu_si512(g.qs[k + 4]);
      for (int t = 0; t < T; ++t) {
        const int8_t* q8 = y[t][i].qs + 4 * k;
        a[t] = _mm512_dpbusd_epi32(a[t], w0, broadcast4(q8));
        __m512i& c = kOneChain ? a[t] : b[t];
        c = _mm512_dpbusd_epi32(c, w1, broadcast4(q8 + 16));
      }
    }
    const __m512 d = _mm512_cvtph_ps(load256(g.d));
    for (int t = 0; t < T; ++t) {
      const Q8Block& yb = blocks[t * nb + i];
      const __m512i dot = kOneChain ? a[t] : _mm512_add_epi32(a[t], b[t]);
      const __m512i sum = _mm512_sub_epi32(dot, _mm512_set1_epi32(yb.offset));
      acc[t] =
          _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(yb.d)), _mm512_cvtepi32_ps(sum), acc[t]);
    }
  }
}

// Calls f.template operator()<T>() for the tile size T = n, n from tile_tokens.
template <typename F>
inline void with_tile(int64_t n, F f) {
  static_assert(kTile == 4 && kWideTile == 8);
  switch (n) {
    case 1:
      f.template operator()<1>();
      break;
    case 2:
      f.template operator()<2>();
      break;
    case 3:
      f.template operator()<3>();
      break;
    case 4:
      f.template operator()<4>();
      break;
    default:
      f.template operator()<kWideTile>();
      break;
  }
}

// The order of a grouped product that goes span by span: kGroupPassTokens tokens at a time,
// group by group, and in a group kSpanBytes of blocks at a time by every tile of tokens. A
// span comes from memory for its first tile and from L1 for the others, so the weights stream at an
// even rate; tile by tile over whole groups, the first tile's burst of reads outran one core's
// bandwidth on Q6_K and Q8_0. The tiles' accumulators wait in L1 between spans, which changes no
// result.
static_assert(kGroupPassTokens % kWideTile == 0);
constexpr size_t kSpanBytes = 2 << 10;

// Bytes ahead of the span in use that Q8_0's spans are prefetched from, into L2.
constexpr size_t kPrefetchAhead = 16 << 10;

// Bytes ahead of the block in use that a product taking groups whole prefetches, into L1.
constexpr size_t kBlockPrefetchAhead = 4 << 10;

// How a product streams one type's groups of weights from memory. Prefetches must reach past
// the 4 KiB page where the hardware prefetchers stop: without, 16 tokens ran a quarter slower
// with the weights in memory than in cache.
// - whole_up_to: products of up to this many tokens take each group whole, asking for each
//   block kBlockPrefetchAhead bytes ahead; more go span by span.
// - next_span: spans ask for the next span into L1, rather than the one kPrefetchAhead bytes
//   ahead into L2.
// - two_ahead_from: with next_span, products of this many tokens or more ask for the span after
//   next instead.
// The K-quants do much work per byte and want their weights close: with the next span in L1
// from one token up, a 7B Q4_K_M file decoded 4-7% faster, and 16 sequences 15-25% faster, than
// with whole groups to 4 tokens and spans 16 KiB ahead in L2 (steps alternating in one process).
// But a span of a few tokens takes less time than memory takes to answer: two spans ahead, Q4_K
// ran 7-15% faster at 4 tokens, 10-14% at 8 and 4-7% at 16 (from memory, 2 threads), and the
// 7B Q4_K_M file's 16-sequence step 2-4% faster (Q5_K_M 3-5%). Decode and 2 tokens gained
// nothing (decode once ran 4-5% slower so), nor did three spans; Q6_K's spans, half again as
// large, ran up to 5% slower.
// Q8_0 does least per byte: its decode and 2 tokens ran slower in spans, and 16 tokens a
// quarter slower with the next span in L1.
struct Streaming {
  int64_t whole_up_to;
  bool next_span;
  int64_t two_ahead_from;
};
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
template <typename Block>
constexpr Streaming kStreaming =
    std::is_same_v<Block, BlockQ8_0x16>   ? Streaming{kTile, false, kNever}
    : std::is_same_v<Block, BlockQ6_Kx16> ? Streaming{0, true, kNever}
                                          : Streaming{0, true, 3};

// Every group of rows by every token: tokens(s, nt) first for each kGroupPassTokens (or fewer)
// tokens from s, a multiple of kGroupPassTokens, then blocks_fn.template operator()<T>(x, i0, i1,
// ahead, t, acc) to add blocks i0..i1 of group x by the T tokens from t into acc[0..T),
// prefetching `ahead` bytes past each block.
template <typename Block, typename TokensFn, typename BlocksFn>
void gemm_grouped(const GemmArgs& a, int64_t nb, TokensFn tokens, BlocksFn blocks_fn) {
  constexpr Streaming kHow = kStreaming<Block>;
  const bool whole = a.n_tokens <= kHow.whole_up_to;
  const size_t ahead = whole ? kBlockPrefetchAhead : 0;
  const int64_t span =
      whole ? nb : std::max<int64_t>(1, static_cast<int64_t>(kSpanBytes / sizeof(Block)));
  const int64_t spans_ahead = a.n_tokens >= kHow.two_ahead_from ? 2 : 1;
  for (int64_t s = 0; s < a.n_tokens; s += kGroupPassTokens) {
    const int64_t nt = std::min(kGroupPassTokens, a.n_tokens - s);
    tokens(s, nt);
    for (int64_t r = 0; r < a.n_rows; r += kGroupRows) {
      const auto* x = reinterpret_cast<const Block*>(a.w + (r / kGroupRows) * a.w_stride);
      __m512 acc[kGroupPassTokens];
      for (int64_t t = 0; t < nt; ++t) acc[t] = _mm512_setzero_ps();
      for (int64_t i0 = 0; i0 < nb; i0 += span) {
        const int64_t i1 = std::min(nb, i0 + span);
        for (size_t c = 0; c < (i1 - i0) * sizeof(Block) && !whole; c += 64) {
          if constexpr (kHow.next_span) {
            _mm_prefetch(reinterpret_cast<const char*>(x + i0 + spans_ahead * span) + c,
                         _MM_HINT_T0);
          } else {
            _mm_prefetch(reinterpret_cast<const char*>(x + i0) + kPrefetchAhead + c, _MM_HINT_T1);
          }
        }
        for (int64_t t0 = 0; t0 < nt;) {
          const int64_t n = tile_tokens(nt - t0);
          with_tile(n, [&]<int T>() {
            blocks_fn.template operator()<T>(x, i0, i1, ahead, s + t0, acc + t0);
          });
          t0 += n;
        }
      }
      float* out = a.out + s * a.out_stride + r;
      for (int64_t t = 0; t < nt; ++t) _mm512_storeu_ps(out + t * a.out_stride, acc[t]);
    }
  }
}

template <typename Act>
TokenRows<Act> token_rows(const GemmArgs& a, int64_t t) {
  return {a.act + static_cast<size_t>(t) * a.act_stride, a.act_stride};
}

// As gemm_grouped for Q4_K and Q5_K, with each token's sums of activations per 32-element
// sub-block computed first.
template <typename Block>
void gemm_affine_k_groups(const GemmArgs& a) {
  const int64_t nb = a.n / kQK_K;
  thread_local std::vector<int16_t> sums;
  sums.resize(static_cast<size_t>(nb) * 8 * kGroupPassTokens);
  // sums[(t % kGroupPassTokens * nb + i) * 8 + j] for token t's sub-block j of block i.
  const auto tokens = [&](int64_t s, int64_t nt) {
    const TokenRows<BlockQ8_K> y = token_rows<BlockQ8_K>(a, s);
    for (int t = 0; t < nt; ++t) {
      for (int64_t i = 0; i < nb; ++i) {
        for (int j = 0; j < 8; ++j) {
          sums[(t * nb + i) * 8 + j] =
              static_cast<int16_t>(y[t][i].bsums[2 * j] + y[t][i].bsums[2 * j + 1]);
        }
      }
    }
  };
  gemm_grouped<Block>(
      a, nb, tokens,
      [&]<int T>(const Block* x, int64_t i0, int64_t i1, size_t, int64_t t, __m512* acc) {
        affine_k_blocks<T>(x, i0, i1, token_rows<BlockQ8_K>(a, t),
                           sums.data() + t % kGroupPassTokens * nb * 8, nb * 8, acc);
      });
}

void gemm_q6_k_groups(const GemmArgs& a) {
  gemm_grouped<BlockQ6_Kx16>(
      a, a.n / kQK_K, [](int64_t, int64_t) {},
      [&]<int T>(const BlockQ6_Kx16* x, int64_t i0, int64_t i1, size_t, int64_t t, __m512* acc) {
        q6_k_blocks<T>(x, i0, i1, token_rows<BlockQ8_K>(a, t), acc);
      });
}

// Sum of a Q8_0 block's 32 quants: offset to unsigned, sum with sad, and take the offset off.
inline int32_t block_sum(const int8_t* qs) {
  const __m256i u = _mm256_xor_si256(load256(qs), _mm256_set1_epi8(static_cast<char>(0x80)));
  const __m256i s = _mm256_sad_epu8(u, _mm256_setzero_si256());
  const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  return static_cast<int32_t>(_mm_cvtsi128_si64(_mm_add_epi64(h, _mm_unpackhi_epi64(h, h)))) -
         128 * 32;
}

// As gemm_grouped for Q8_0, with each token's block scales and sums computed first.
void gemm_q8_0_groups(const GemmArgs& a) {
  const int64_t nb = a.n / kQK8_0;
  thread_local std::vector<Q8Block> blocks;
  blocks.resize(static_cast<size_t>(nb) * kGroupPassTokens);
  // blocks[t % kGroupPassTokens * nb + i] for token t's block i.
  const auto tokens = [&](int64_t s, int64_t nt) {
    const TokenRows<BlockQ8_0> y = token_rows<BlockQ8_0>(a, s);
    for (int t = 0; t < nt; ++t) {
      for (int64_t i = 0; i < nb; ++i) {
        blocks[t * nb + i] = {_cvtsh_ss(y[t][i].d), 128 * block_sum(y[t][i].qs)};
      }
    }
  };
  gemm_grouped<BlockQ8_0x16>(a, nb, tokens,
                             [&]<int T>(const BlockQ8_0x16* x, int64_t i0, int64_t i1, size_t ahead,
                                        int64_t t, __m512* acc) {
                               q8_0_blocks<T>(x, i0, i1, ahead, token_rows<BlockQ8_0>(a, t),
                                              blocks.data() + t % kGroupPassTokens * nb, nb, acc);
                             });
}

}  // namespace

GemmFn group_kernel(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::Q4_K:
      return gemm_affine_k_groups<BlockQ4_Kx16>;
    case GgmlType::Q5_K:
      return gemm_affine_k_groups<BlockQ5_Kx16>;
    case GgmlType::Q6_K:
      return gemm_q6_k_groups;
    case GgmlType::Q8_0:
      return gemm_q8_0_groups;
    default:
      return nullptr;
  }
}

}  // namespace engine::avx512
