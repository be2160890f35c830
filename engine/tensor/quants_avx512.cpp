// AVX-512 (F, BW, VL, DQ, VNNI) matrix kernels and activation quantizers, only called after
// gemm.cpp or quants.cpp has checked the CPU.
//
// Quantized types run in tiles of one weight row by up to four tokens: the row's blocks are
// unpacked once and multiplied into each token's accumulators, which is what makes prefill and
// batched decoding cheaper per token than single decoding. Q8_0/Q4_0 take two blocks per 512-bit
// register and use VNNI's dpbusd for the int8 products; the K-quants take 64 elements per
// register, multiply with maddubs and fold the sub-block scales in with VNNI's dpwssd. Integer
// sums per block are the reference's, as in the AVX2 kernels.
//
// The small helpers repeat quants_avx2.cpp's on purpose: shared inline code compiled under two
// sets of -m flags could be merged by the linker into the AVX-512 copy and run on AVX2-only CPUs.

#include <cstring>

#include "tensor/avx512_tiles.h"
#include "tensor/gemm_dots.h"
#include "tensor/quants.h"

namespace engine::avx512 {

namespace {

inline float half(uint16_t h) { return _cvtsh_ss(h); }

inline __m512i join(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

// d0 in lanes 0-7, d1 in lanes 8-15: the scales of two blocks side by side.
inline __m512 join_scales(float d0, float d1) {
  return _mm512_insertf32x8(_mm512_set1_ps(d0), _mm256_set1_ps(d1), 1);
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

// Q8_0 and Q4_0 against Q8_0 for T tokens: two blocks per register (a zero block pads an odd
// count), dpbusd for the int8 products with the weights' sign moved onto the activations.
template <int T, typename Block>
void tile_blocks_32(int64_t nb, const Block* x, TokenRows<BlockQ8_0> y, float* out,
                    int64_t out_stride) {
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; i += 2) {
    const bool pair = i + 1 < nb;
    const __m512i xw = join(unpack(x[i]), pair ? unpack(x[i + 1]) : _mm256_setzero_si256());
    const __m512i ax = _mm512_abs_epi8(xw);
    const __mmask64 neg = _mm512_movepi8_mask(xw);
    const float dw0 = half(x[i].d);
    const float dw1 = pair ? half(x[i + 1].d) : 0.0f;
    for (int t = 0; t < T; ++t) {
      const BlockQ8_0* yt = y[t];
      const __m512i yv =
          join(load256(yt[i].qs), pair ? load256(yt[i + 1].qs) : _mm256_setzero_si256());
      const __m512i sy = _mm512_mask_sub_epi8(yv, neg, _mm512_setzero_si512(), yv);
      const __m512i s = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ax, sy);
      const __m512 d = join_scales(dw0 * half(yt[i].d), pair ? dw1 * half(yt[i + 1].d) : 0.0f);
      acc[t] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(s), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) out[t * out_stride] = _mm512_reduce_add_ps(acc[t]);
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

// Q4_K (kHighBits false) and Q5_K (true) for T tokens. Chunk c's 32 bytes are broadcast to both
// halves of a register and shifted by 0 and 4, which puts sub-block 2c's nibbles in the low half
// and 2c+1's in the high one: the order of the activations' elements 64c..64c+63.
template <int T, bool kHighBits, typename Block>
void tile_affine_k(int64_t nb, const Block* x, TokenRows<BlockQ8_K> y, float* out,
                   int64_t out_stride) {
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const __m512i nibble_shift = join(_mm256_setzero_si256(), _mm256_set1_epi16(4));
  const __m512i bit4 = _mm512_set1_epi8(0x10);
  // Bit 2c of qh is the fifth bit of sub-block 2c, 2c+1 of 2c+1: shift each to bit 4 (16-bit
  // shifts leak between bytes only outside the bit kept).
  const __m512i hshift = join(_mm256_set1_epi16(4), _mm256_set1_epi16(3));
  // Word indices that spread scale 2c over int16 lanes 0-15 and 2c+1 over 16-31.
  __m512i scale_idx[4];
  for (int c = 0; c < 4; ++c) {
    scale_idx[c] = join(_mm256_set1_epi16(static_cast<short>(2 * c)),
                        _mm256_set1_epi16(static_cast<short>(2 * c + 1)));
  }
  __m512 acc[T];
  __m256 acc_m[T];
  for (int t = 0; t < T; ++t) {
    acc[t] = _mm512_setzero_ps();
    acc_m[t] = _mm256_setzero_ps();
  }
  for (int64_t i = 0; i < nb; ++i) {
    const __m128i sm = scales_mins_k4(x[i].scales);
    const __m512i sc = _mm512_castsi128_si512(_mm_cvtepu8_epi16(sm));
    // m[j] twice, once for each 16-element half of sub-block j, against bsums.
    const __m256i mins = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(sm, sm));
    const float d = half(x[i].d);
    const float dmin = half(x[i].dmin);
    __m512i qh = _mm512_setzero_si512();
    if constexpr (kHighBits) qh = _mm512_broadcast_i64x4(load256(x[i].qh));
    __m512i sumi[T];
    for (int t = 0; t < T; ++t) sumi[t] = _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
      const __m512i q = _mm512_broadcast_i64x4(load256(x[i].qs + 32 * c));
      __m512i q4 = _mm512_and_si512(_mm512_srlv_epi16(q, nibble_shift), low4);
      if constexpr (kHighBits) {
        q4 = _mm512_or_si512(q4, _mm512_and_si512(_mm512_sllv_epi16(qh, hshift), bit4));
        qh = _mm512_srli_epi16(qh, 2);
      }
      const __m512i s = _mm512_permutexvar_epi16(scale_idx[c], sc);
      for (int t = 0; t < T; ++t) {
        const __m512i p = _mm512_maddubs_epi16(q4, _mm512_loadu_si512(y[t][i].qs + 64 * c));
        sumi[t] = _mm512_dpwssd_epi32(sumi[t], p, s);
      }
    }
    for (int t = 0; t < T; ++t) {
      const BlockQ8_K& yt = y[t][i];
      const __m256i summ = _mm256_madd_epi16(load256(yt.bsums), mins);
      acc_m[t] = _mm256_fmadd_ps(_mm256_set1_ps(-yt.d * dmin), _mm256_cvtepi32_ps(summ), acc_m[t]);
      acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(yt.d * d), _mm512_cvtepi32_ps(sumi[t]), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) out[t * out_stride] = _mm512_reduce_add_ps(acc[t]) + hsum(acc_m[t]);
}

// Q6_K for T tokens: per half of 128, ql's 64 bytes give elements 0-63 in their low nibbles and
// 64-127 in their high ones, so each half is two registers; the 16-element groups map to 8 int16
// lanes.
template <int T>
void tile_q6_k(int64_t nb, const BlockQ6_K* x, TokenRows<BlockQ8_K> y, float* out,
               int64_t out_stride) {
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
  __m512 acc[T];
  for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    // q is stored as q+32 in 0..63: multiply unsigned and take 32 * sum(scale * bsum) off after.
    const __m256i sc16 = _mm256_cvtepi8_epi16(load128(x[i].scales));
    const __m512i sc = _mm512_castsi256_si512(sc16);
    __m512i sumi[T];
    for (int t = 0; t < T; ++t) {
      // The offset's 8 lanes go in the low half of the 16 (zero-extended: only the sum counts).
      const __m256i offset = _mm256_madd_epi16(load256(y[t][i].bsums), sc16);
      sumi[t] = _mm512_zextsi256_si512(
          _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(offset, 5)));
    }
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = _mm512_loadu_si512(x[i].ql + 64 * h);
      const __m512i qh2 = _mm512_broadcast_i64x4(load256(x[i].qh + 32 * h));
      const __m512i qa = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                         _mm512_and_si512(_mm512_sllv_epi16(qh2, shift_a), bits45));
      const __m512i qb = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                         _mm512_and_si512(_mm512_srlv_epi16(qh2, shift_b), bits45));
      const __m512i sa = _mm512_permutexvar_epi16(_mm512_loadu_si512(kScaleIdx.v[2 * h]), sc);
      const __m512i sb = _mm512_permutexvar_epi16(_mm512_loadu_si512(kScaleIdx.v[2 * h + 1]), sc);
      for (int t = 0; t < T; ++t) {
        const int8_t* q8 = y[t][i].qs + 128 * h;
        sumi[t] =
            _mm512_dpwssd_epi32(sumi[t], _mm512_maddubs_epi16(qa, _mm512_loadu_si512(q8)), sa);
        sumi[t] =
            _mm512_dpwssd_epi32(sumi[t], _mm512_maddubs_epi16(qb, _mm512_loadu_si512(q8 + 64)), sb);
      }
    }
    for (int t = 0; t < T; ++t) {
      acc[t] = _mm512_fmadd_ps(_mm512_set1_ps(y[t][i].d * half(x[i].d)),
                               _mm512_cvtepi32_ps(sumi[t]), acc[t]);
    }
  }
  for (int t = 0; t < T; ++t) out[t * out_stride] = _mm512_reduce_add_ps(acc[t]);
}

// Runs a tile kernel over every row and every group of kTile tokens (the last group smaller).
// Groups of tokens are outermost so one group's activations stay in L1 across the rows.
template <typename Block, typename ActBlock, template <int> class Tile>
void gemm_tiles(const GemmArgs& a) {
  const int64_t nb = a.n / (sizeof(ActBlock) == sizeof(BlockQ8_0) ? kQK8_0 : kQK_K);
  for (int64_t t0 = 0; t0 < a.n_tokens; t0 += kTile) {
    const TokenRows<ActBlock> y{a.act + static_cast<size_t>(t0) * a.act_stride, a.act_stride};
    float* out = a.out + t0 * a.out_stride;
    const int64_t nt = a.n_tokens - t0 < kTile ? a.n_tokens - t0 : kTile;
    for (int64_t r = 0; r < a.n_rows; ++r) {
      const auto* x = reinterpret_cast<const Block*>(a.w + static_cast<size_t>(r) * a.w_stride);
      switch (nt) {
        case 4:
          Tile<4>::run(nb, x, y, out + r, a.out_stride);
          break;
        case 3:
          Tile<3>::run(nb, x, y, out + r, a.out_stride);
          break;
        case 2:
          Tile<2>::run(nb, x, y, out + r, a.out_stride);
          break;
        default:
          Tile<1>::run(nb, x, y, out + r, a.out_stride);
      }
    }
  }
}

static_assert(kTile == 4, "gemm_tiles dispatches tiles of 1 to 4 tokens");

template <int T>
struct TileQ8_0 {
  static void run(int64_t nb, const BlockQ8_0* x, TokenRows<BlockQ8_0> y, float* o, int64_t s) {
    tile_blocks_32<T>(nb, x, y, o, s);
  }
};
template <int T>
struct TileQ4_0 {
  static void run(int64_t nb, const BlockQ4_0* x, TokenRows<BlockQ8_0> y, float* o, int64_t s) {
    tile_blocks_32<T>(nb, x, y, o, s);
  }
};
template <int T>
struct TileQ4_K {
  static void run(int64_t nb, const BlockQ4_K* x, TokenRows<BlockQ8_K> y, float* o, int64_t s) {
    tile_affine_k<T, false>(nb, x, y, o, s);
  }
};
template <int T>
struct TileQ5_K {
  static void run(int64_t nb, const BlockQ5_K* x, TokenRows<BlockQ8_K> y, float* o, int64_t s) {
    tile_affine_k<T, true>(nb, x, y, o, s);
  }
};
template <int T>
struct TileQ6_K {
  static void run(int64_t nb, const BlockQ6_K* x, TokenRows<BlockQ8_K> y, float* o, int64_t s) {
    tile_q6_k<T>(nb, x, y, o, s);
  }
};

// round(v) for |v| < 2^22, ties to even, as quants.cpp's nearest_int: 1.5 * 2^23 added leaves
// the rounded integer in the low mantissa bits. The add states its rounding so that the compiler
// cannot fuse it with the multiply before it into one FMA, which rounds once and differs.
inline __m512i nearest_ints(__m512 v) {
  const __m512i bits = _mm512_castps_si512(_mm512_add_round_ps(
      v, _mm512_set1_ps(12582912.0f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  return _mm512_sub_epi32(_mm512_and_si512(bits, _mm512_set1_epi32(0x7fffff)),
                          _mm512_set1_epi32(0x400000));
}

// max(|v|) over lanes, ignoring NaN as the reference's comparisons do: max_ps returns its second
// operand where the first is NaN.
inline __m512 abs_max(__m512 v, __m512 so_far) { return _mm512_max_ps(_mm512_abs_ps(v), so_far); }

}  // namespace

void quantize_q8_0(const float* x, BlockQ8_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK8_0) {
    const __m512 lo = _mm512_loadu_ps(x);
    const __m512 hi = _mm512_loadu_ps(x + 16);
    const float amax = _mm512_reduce_max_ps(abs_max(hi, abs_max(lo, _mm512_setzero_ps())));
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    y[i].d = _cvtss_sh(amax / 127.0f, _MM_FROUND_TO_NEAREST_INT);
    const __m512 idv = _mm512_set1_ps(id);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y[i].qs),
                     _mm512_cvtepi32_epi8(nearest_ints(_mm512_mul_ps(lo, idv))));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y[i].qs + 16),
                     _mm512_cvtepi32_epi8(nearest_ints(_mm512_mul_ps(hi, idv))));
  }
}

void quantize_q8_k(const float* x, BlockQ8_K* y, int64_t nb) {
  constexpr int kVecs = kQK_K / 16;  // one bsum per vector
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    __m512 m = _mm512_setzero_ps();
    for (int k = 0; k < kVecs; ++k) m = abs_max(_mm512_loadu_ps(x + 16 * k), m);
    const float amax = _mm512_reduce_max_ps(m);
    BlockQ8_K& b = y[i];
    if (amax == 0.0f) {
      std::memset(&b, 0, sizeof(b));
      continue;
    }
    // The first element of largest magnitude gives the scale its sign, as in the reference.
    float max = 0.0f;
    for (int k = 0; k < kVecs; ++k) {
      const __m512 v = _mm512_loadu_ps(x + 16 * k);
      const __mmask16 at = _mm512_cmp_ps_mask(_mm512_abs_ps(v), _mm512_set1_ps(amax), _CMP_EQ_OQ);
      if (at != 0) {
        max = x[16 * k + __builtin_ctz(at)];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m512 s = _mm512_set1_ps(iscale);
    for (int k = 0; k < kVecs; ++k) {
      const __m512i q = _mm512_min_epi32(
          nearest_ints(_mm512_mul_ps(s, _mm512_loadu_ps(x + 16 * k))), _mm512_set1_epi32(127));
      const __m128i q8 = _mm512_cvtepi32_epi8(q);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(b.qs + 16 * k), q8);
      b.bsums[k] = static_cast<int16_t>(_mm512_reduce_add_epi32(_mm512_cvtepi8_epi32(q8)));
    }
    b.d = 1.0f / iscale;
  }
}

GemmFn kernel(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::F32:
      return gemm_dots<dot_f32>;
    case GgmlType::F16:
      return gemm_dots<dot_f16>;
    case GgmlType::Q4_0:
      return gemm_tiles<BlockQ4_0, BlockQ8_0, TileQ4_0>;
    case GgmlType::Q8_0:
      return gemm_tiles<BlockQ8_0, BlockQ8_0, TileQ8_0>;
    case GgmlType::Q4_K:
      return gemm_tiles<BlockQ4_K, BlockQ8_K, TileQ4_K>;
    case GgmlType::Q5_K:
      return gemm_tiles<BlockQ5_K, BlockQ8_K, TileQ5_K>;
    case GgmlType::Q6_K:
      return gemm_tiles<BlockQ6_K, BlockQ8_K, TileQ6_K>;
    default:
      return nullptr;
  }
}

}  // namespace engine::avx512
