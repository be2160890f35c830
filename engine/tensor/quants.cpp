// Reference quantization and dequantization for the types this engine supports.
//
// The activation formats (Q8_0, Q8_K) follow llama.cpp's arithmetic on x86 exactly, since greedy
// tokens are compared with llama.cpp's one for one. The weight K-quants search their scales with
// the same weighting idea as llama.cpp (weighted least squares, a handful of candidate scales and
// a refinement) so round-trip error is close to theirs; bytes may differ, layouts do not.
#include "tensor/quants.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "tensor/cpu_features.h"
#include "tensor/fp16.h"

namespace engine {

namespace avx512 {
void quantize_q8_0(const float* x, BlockQ8_0* y, int64_t nb);
void quantize_q8_k(const float* x, BlockQ8_K* y, int64_t nb);
}  // namespace avx512

namespace {

// Round to nearest, ties to even, for |v| < 2^22: adding 1.5 * 2^23 leaves the rounded integer in
// the low mantissa bits. This is the rounding ggml's quantizers use.
inline int nearest_int(float v) {
  const float shifted = v + 12582912.0f;
  return static_cast<int>(std::bit_cast<uint32_t>(shifted) & 0x7fffff) - 0x400000;
}

inline uint8_t clamp_u8(int v, int lo, int hi) {
  return static_cast<uint8_t>(std::clamp(v, lo, hi));
}

int64_t blocks_of(GgmlType type, int64_t n) {
  const TypeInfo& info = type_info(type);
  if (n < 0 || n % info.block_size != 0) {
    throw std::invalid_argument(std::to_string(n) + " elements are not a whole number of " +
                                std::string(info.name) + " blocks");
  }
  return n / info.block_size;
}

// ---------------------------------------------------------------------------------------------
// Q4_0, Q8_0, Q8_K

void quantize_q4_0(const float* x, BlockQ4_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK4_0) {
    // The element of largest magnitude maps to q = 0 (-8), which spends the extra negative level
    // on it whatever its sign.
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < kQK4_0; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      // Truncation after +8.5 is ggml's rounding here; keep it for identical bytes.
      const int lo = std::min(15, static_cast<int>(x[j] * id + 8.5f));
      const int hi = std::min(15, static_cast<int>(x[j + kQK4_0 / 2] * id + 8.5f));
      y[i].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void quantize_q8_0(const float* x, BlockQ8_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK8_0) {
    float amax = 0.0f;
    for (int j = 0; j < kQK8_0; ++j) amax = std::max(amax, std::fabs(x[j]));
    // As llama.cpp's x86 activation quantizer: multiply by 127/amax and round half to even. (The
    // portable reference multiplies by 1/d and rounds half away; both agree but for exact ties.)
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK8_0; ++j) y[i].qs[j] = static_cast<int8_t>(nearest_int(x[j] * id));
  }
}

void quantize_q8_k(const float* x, BlockQ8_K* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < kQK_K; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    BlockQ8_K& b = y[i];
    if (amax == 0.0f) {
      std::memset(&b, 0, sizeof(b));
      continue;
    }
    // ggml scales by -127/max (it once used -128); the max-magnitude element becomes -127.
    const float iscale = -127.0f / max;
    for (int j = 0; j < kQK_K; ++j) {
      b.qs[j] = static_cast<int8_t>(std::min(127, nearest_int(iscale * x[j])));
    }
    for (int g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += b.qs[16 * g + j];
      b.bsums[g] = static_cast<int16_t>(sum);
    }
    b.d = 1.0f / iscale;
  }
}

// ---------------------------------------------------------------------------------------------
// K-quant scale search

// Fits x[i] ~ scale * q[i] + offset with integer q in [0, nmax] and offset <= 0 (the formats
// store a non-negative min that is subtracted), minimising sum w[i] * err[i]^2. Tries a spread of
// step sizes around the plain min/max one, solving the 2x2 least-squares problem for each set of
// q, then refines by re-rounding against the best fit until it stops improving.
float fit_affine(const float* x, const float* w, int n, int nmax, float* offset) {
  float xmin = x[0];
  float xmax = x[0];
  for (int i = 1; i < n; ++i) {
    xmin = std::min(xmin, x[i]);
    xmax = std::max(xmax, x[i]);
  }
  xmin = std::min(xmin, 0.0f);
  if (xmax <= xmin) {  // constant non-positive block: the offset alone is exact
    *offset = xmin;
    return 0.0f;
  }
  float sw = 0.0f;
  float swx = 0.0f;
  for (int i = 0; i < n; ++i) {
    sw += w[i];
    swx += w[i] * x[i];
  }

  float best_err = INFINITY;
  float best_scale = (xmax - xmin) / nmax;
  float best_offset = xmin;
  uint8_t l[kQK_K];
  auto try_grid = [&](float iscale, float base) {
    float swl = 0.0f, swl2 = 0.0f, swlx = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int li = std::clamp(nearest_int(iscale * (x[i] - base)), 0, nmax);
      l[i] = static_cast<uint8_t>(li);
      swl += w[i] * li;
      swl2 += w[i] * li * li;
      swlx += w[i] * li * x[i];
    }
    const float det = sw * swl2 - swl * swl;
    float scale = 0.0f;
    float off = 0.0f;
    if (det > 0.0f) {
      scale = (sw * swlx - swl * swx) / det;
      off = (swl2 * swx - swl * swlx) / det;
    }
    if (det <= 0.0f || off > 0.0f) {  // the offset may not be positive: fit the scale alone
      off = 0.0f;
      scale = swl2 > 0.0f ? swlx / swl2 : 0.0f;
    }
    if (scale < 0.0f) return false;
    float err = 0.0f;
    for (int i = 0; i < n; ++i) {
      const float e = scale * l[i] + off - x[i];
      err += w[i] * e * e;
    }
    if (err >= best_err) return false;
    best_err = err;
    best_scale = scale;
    best_offset = off;
    return true;
  };

  const float range = xmax - xmin;
  try_grid(nmax / range, xmin);
  constexpr int kSteps = 10;  // step sizes from (nmax - 1) to (nmax + 1) levels over the range
  for (int k = -kSteps; k <= kSteps; ++k) {
    if (k != 0) try_grid((nmax + 0.1f * k) / range, xmin);
  }
  for (int iter = 0; iter < 4 && best_scale > 0.0f; ++iter) {
    if (!try_grid(1.0f / best_scale, best_offset)) break;
  }
  *offset = best_offset;
  return best_scale;
}

// Fits x[i] ~ scale * q[i] with integer q in [-nmax, nmax - 1], minimising sum w[i] * err[i]^2.
// The element of largest magnitude goes to the -nmax end, which has the extra level.
float fit_symmetric(const float* x, const float* w, int n, int nmax) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  }
  if (amax == 0.0f) return 0.0f;
  float best_scale = max / -nmax;
  float best_gain = -1.0f;  // (sum w q x)^2 / sum w q^2: maximising it minimises the error
  auto try_iscale = [&](float iscale) {
    float swlx = 0.0f, swl2 = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
      swlx += w[i] * l * x[i];
      swl2 += w[i] * l * l;
    }
    if (swl2 <= 0.0f) return false;
    const float gain = swlx * swlx / swl2;
    if (gain <= best_gain) return false;
    best_gain = gain;
    best_scale = swlx / swl2;
    return true;
  };
  constexpr int kSteps = 10;
  for (int k = -kSteps; k <= kSteps; ++k) try_iscale(-(nmax + 0.1f * k) / max);
  for (int iter = 0; iter < 4 && best_scale != 0.0f; ++iter) {
    if (!try_iscale(1.0f / best_scale)) break;
  }
  return best_scale;
}

// Weighted squared error of one sub-block at integer scale/min (sc, m), re-rounding each element.
float affine_error(const float* x, const float* w, int n, int nmax, float d, float dmin, int sc,
                   int m) {
  const float s = d * sc;
  const float is = s > 0.0f ? 1.0f / s : 0.0f;
  const float off = dmin * m;
  float err = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(nearest_int((x[i] + off) * is), 0, nmax);
    const float e = s * l - off - x[i];
    err += w[i] * e * e;
  }
  return err;
}

// The K-quant weighting: larger elements matter more, but small ones are not ignored.
void kquant_weights(const float* x, int n, float* w) {
  float sum_x2 = 0.0f;
  for (int i = 0; i < n; ++i) sum_x2 += x[i] * x[i];
  const float av = std::sqrt(sum_x2 / n);
  for (int i = 0; i < n; ++i) w[i] = av + std::fabs(x[i]);
}

void pack_scale_min(uint8_t* s, const uint8_t* sc, const uint8_t* m) {
  // Sub-blocks 0-3 keep 6 bits in bytes 0-7; 4-7 put their low 4 bits in bytes 8-11 and their
  // top 2 bits in the spare top bits of bytes 0-7.
  for (int j = 0; j < 4; ++j) {
    s[j] = static_cast<uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    s[j + 4] = static_cast<uint8_t>((m[j] & 63) | ((m[j + 4] >> 4) << 6));
    s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | ((m[j + 4] & 15) << 4));
  }
}

// Quantizes one super-block of a Q4_K/Q5_K-style format: 8 sub-blocks of 32, 6-bit scales and
// mins against fp16 d and dmin. Writes the 5- or 4-bit values to q (0..nmax).
void quantize_affine_superblock(const float* x, int nmax, uint16_t* d_out, uint16_t* dmin_out,
                                uint8_t* scales_out, uint8_t* q) {
  constexpr int kSub = 32;
  float w[kQK_K];
  kquant_weights(x, kQK_K, w);
  float scale[8];
  float min[8];
  float max_scale = 0.0f;
  float max_min = 0.0f;
  for (int j = 0; j < 8; ++j) {
    float off = 0.0f;
    scale[j] = fit_affine(x + kSub * j, w + kSub * j, kSub, nmax, &off);
    min[j] = -off;
    max_scale = std::max(max_scale, scale[j]);
    max_min = std::max(max_min, min[j]);
  }
  // Quantize the sub-block scales against the fp16-rounded super-block ones they will be read
  // back with, then nudge each (scale, min) pair by one step where that lowers the error.
  const uint16_t d16 = fp32_to_fp16(max_scale / 63.0f);
  const uint16_t dmin16 = fp32_to_fp16(max_min / 63.0f);
  const float d = fp16_to_fp32(d16);
  const float dmin = fp16_to_fp32(dmin16);
  uint8_t sc[8];
  uint8_t mn[8];
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + kSub * j;
    const float* ws = w + kSub * j;
    const int sc0 = d > 0.0f ? std::clamp(nearest_int(scale[j] / d), 0, 63) : 0;
    const int m0 = dmin > 0.0f ? std::clamp(nearest_int(min[j] / dmin), 0, 63) : 0;
    int best_sc = sc0;
    int best_m = m0;
    float best = affine_error(xs, ws, kSub, nmax, d, dmin, sc0, m0);
    for (int ds = -1; ds <= 1; ++ds) {
      for (int dm = -1; dm <= 1; ++dm) {
        const int s1 = sc0 + ds;
        const int m1 = m0 + dm;
        if ((ds == 0 && dm == 0) || s1 < 0 || s1 > 63 || m1 < 0 || m1 > 63) continue;
        if ((d == 0.0f && s1 != 0) || (dmin == 0.0f && m1 != 0)) continue;
        const float e = affine_error(xs, ws, kSub, nmax, d, dmin, s1, m1);
        if (e < best) {
          best = e;
          best_sc = s1;
          best_m = m1;
        }
      }
    }
    sc[j] = static_cast<uint8_t>(best_sc);
    mn[j] = static_cast<uint8_t>(best_m);
    const float s = d * best_sc;
    const float is = s > 0.0f ? 1.0f / s : 0.0f;
    const float off = dmin * best_m;
    for (int i = 0; i < kSub; ++i)
      q[kSub * j + i] = clamp_u8(nearest_int((xs[i] + off) * is), 0, nmax);
  }
  *d_out = d16;
  *dmin_out = dmin16;
  pack_scale_min(scales_out, sc, mn);
}

void quantize_q4_k(const float* x, BlockQ4_K* y, int64_t nb) {
  uint8_t q[kQK_K];
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    BlockQ4_K& b = y[i];
    quantize_affine_superblock(x, 15, &b.d, &b.dmin, b.scales, q);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        b.qs[32 * c + l] = static_cast<uint8_t>(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
      }
    }
  }
}

void quantize_q5_k(const float* x, BlockQ5_K* y, int64_t nb) {
  uint8_t q[kQK_K];
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    BlockQ5_K& b = y[i];
    quantize_affine_superblock(x, 31, &b.d, &b.dmin, b.scales, q);
    std::memset(b.qh, 0, sizeof(b.qh));
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t lo = q[64 * c + l];
        const uint8_t hi = q[64 * c + 32 + l];
        b.qs[32 * c + l] = static_cast<uint8_t>((lo & 15) | ((hi & 15) << 4));
        b.qh[l] |= static_cast<uint8_t>(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
      }
    }
  }
}

void quantize_q6_k(const float* x, BlockQ6_K* y, int64_t nb) {
  constexpr int kSub = 16;
  constexpr int kGroups = kQK_K / kSub;
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    BlockQ6_K& b = y[i];
    // Squared magnitudes as weights: with 64 levels the big elements decide the error.
    float w[kQK_K];
    for (int j = 0; j < kQK_K; ++j) w[j] = x[j] * x[j];
    float scale[kGroups];
    float max_scale = 0.0f;  // the signed scale of largest magnitude
    for (int g = 0; g < kGroups; ++g) {
      scale[g] = fit_symmetric(x + kSub * g, w + kSub * g, kSub, 32);
      if (std::fabs(scale[g]) > std::fabs(max_scale)) max_scale = scale[g];
    }
    // The largest scale takes -128, the int8 level without a positive twin.
    const uint16_t d16 = fp32_to_fp16(max_scale / -128.0f);
    const float d = fp16_to_fp32(d16);
    b.d = d16;
    uint8_t q[kQK_K];
    for (int g = 0; g < kGroups; ++g) {
      const float* xs = x + kSub * g;
      const float* ws = w + kSub * g;
      auto requant = [&](int sc, uint8_t* out) {
        const float s = d * sc;
        const float is = s != 0.0f ? 1.0f / s : 0.0f;
        float err = 0.0f;
        for (int l = 0; l < kSub; ++l) {
          const int v = std::clamp(nearest_int(xs[l] * is), -32, 31);
          if (out) out[l] = static_cast<uint8_t>(v + 32);
          const float e = s * v - xs[l];
          err += ws[l] * e * e;
        }
        return err;
      };
      const int sc0 = d != 0.0f ? std::clamp(nearest_int(scale[g] / d), -128, 127) : 0;
      int best_sc = sc0;
      float best = requant(sc0, nullptr);
      for (int ds = -1; ds <= 1; ds += 2) {
        const int s1 = sc0 + ds;
        if (d == 0.0f || s1 < -128 || s1 > 127) continue;
        const float e = requant(s1, nullptr);
        if (e < best) {
          best = e;
          best_sc = s1;
        }
      }
      b.scales[g] = static_cast<int8_t>(best_sc);
      requant(best_sc, q + kSub * g);
    }
    // Each half of 128: ql holds low nibbles of elements l (low) and l+64 (high) for l < 64;
    // qh[l] holds the top 2 bits of elements l, l+32, l+64 and l+96 in bit pairs 0..3.
    for (int h = 0; h < 2; ++h) {
      const uint8_t* qq = q + 128 * h;
      uint8_t* ql = b.ql + 64 * h;
      uint8_t* qh = b.qh + 32 * h;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((qq[l] & 15) | ((qq[l + 64] & 15) << 4));
        ql[l + 32] = static_cast<uint8_t>((qq[l + 32] & 15) | ((qq[l + 96] & 15) << 4));
        qh[l] = static_cast<uint8_t>((qq[l] >> 4) | ((qq[l + 32] >> 4) << 2) |
                                     ((qq[l + 64] >> 4) << 4) | ((qq[l + 96] >> 4) << 6));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Dequantization

void dequantize_q4_0(const BlockQ4_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK4_0) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      y[j] = static_cast<float>((x[i].qs[j] & 15) - 8) * d;
      y[j + kQK4_0 / 2] = static_cast<float>((x[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_q8_0(const BlockQ8_0* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK8_0) {
    const float d = fp16_to_fp32(x[i].d);
    for (int j = 0; j < kQK8_0; ++j) y[j] = static_cast<float>(x[i].qs[j]) * d;
  }
}

void dequantize_q8_k(const BlockQ8_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    for (int j = 0; j < kQK_K; ++j) y[j] = x[i].d * static_cast<float>(x[i].qs[j]);
  }
}

void dequantize_q4_k(const BlockQ4_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(x[i].d);
    const float dmin = fp16_to_fp32(x[i].dmin);
    for (int c = 0; c < 4; ++c) {
      int sc0, m0, sc1, m1;
      k_scale_min(x[i].scales, 2 * c, &sc0, &m0);
      k_scale_min(x[i].scales, 2 * c + 1, &sc1, &m1);
      const float d0 = d * sc0, o0 = dmin * m0;
      const float d1 = d * sc1, o1 = dmin * m1;
      const uint8_t* qs = x[i].qs + 32 * c;
      for (int l = 0; l < 32; ++l) {
        y[64 * c + l] = d0 * (qs[l] & 15) - o0;
        y[64 * c + 32 + l] = d1 * (qs[l] >> 4) - o1;
      }
    }
  }
}

void dequantize_q5_k(const BlockQ5_K* x, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(x[i].d);
    const float dmin = fp16_to_fp32(x[i].dmin);
    for (int c = 0; c < 4; ++c) {
      int sc0, m0, sc1, m1;
      k_scale_min(x[i].scales, 2 * c, &sc0, &m0);
      k_scale_min(x[i].scales, 2 * c + 1, &sc1, &m1);
      const float d0 = d * sc0, o0 = dmin * m0;
      const float d1 = d * sc1, o1 = dmin * m1;
      const uint8_t* qs = x[i].qs + 32 * c;
      for (int l = 0; l < 32; ++l) {
        const int lo = (qs[l] & 15) | (((x[i].qh[l] >> (2 * c)) & 1) << 4);
        const int hi = (qs[l] >> 4) | (((x[i].qh[l] >> (2 * c + 1)) & 1) << 4);
        y[64 * c + l] = d0 * lo - o0;
        y[64 * c + 32 + l] = d1 * hi - o1;
      }
    }
  }
}

void dequantize_q6_k(const BlockQ6_K* x, float* y, int64_t nb) {
  uint8_t q[kQK_K];
  for (int64_t i = 0; i < nb; ++i, y += kQK_K) {
    const float d = fp16_to_fp32(x[i].d);
    q6_k_values(x[i], q);
    for (int j = 0; j < kQK_K; ++j) y[j] = d * x[i].scales[j / 16] * (q[j] - 32);
  }
}

}  // namespace

void k_scale_min(const uint8_t* s, int j, int* sc, int* m) {
  if (j < 4) {
    *sc = s[j] & 63;
    *m = s[j + 4] & 63;
  } else {
    *sc = (s[j + 4] & 15) | ((s[j - 4] >> 6) << 4);
    *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

void q6_k_values(const BlockQ6_K& x, uint8_t* q) {
  for (int h = 0; h < 2; ++h) {
    const uint8_t* ql = x.ql + 64 * h;
    const uint8_t* qh = x.qh + 32 * h;
    for (int l = 0; l < 32; ++l) {
      q[128 * h + l] = static_cast<uint8_t>((ql[l] & 15) | ((qh[l] & 3) << 4));
      q[128 * h + l + 32] = static_cast<uint8_t>((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4));
      q[128 * h + l + 64] = static_cast<uint8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
      q[128 * h + l + 96] = static_cast<uint8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
    }
  }
}

namespace {

// One family's quantizers of the activation types.
struct ActivationQuantizers {
  void (*q8_0)(const float* x, BlockQ8_0* y, int64_t nb);
  void (*q8_k)(const float* x, BlockQ8_K* y, int64_t nb);
};
constexpr ActivationQuantizers kReferenceActivations{quantize_q8_0, quantize_q8_k};
constexpr ActivationQuantizers kAvx512Activations{avx512::quantize_q8_0, avx512::quantize_q8_k};

// quantize_row with q for an activation type; false for other types.
bool quantize_activation_row(const ActivationQuantizers& q, GgmlType type, const float* x, void* y,
                             int64_t n) {
  switch (type) {
    case GgmlType::Q8_0:
      q.q8_0(x, static_cast<BlockQ8_0*>(y), blocks_of(type, n));
      return true;
    case GgmlType::Q8_K:
      q.q8_k(x, static_cast<BlockQ8_K*>(y), blocks_of(type, n));
      return true;
    default:
      return false;
  }
}

}  // namespace

bool quantize_activations(std::string_view family, GgmlType type, const float* x, void* y,
                          int64_t n) {
  if (family == "scalar") return quantize_activation_row(kReferenceActivations, type, x, y, n);
  if (family == "avx512" && cpu_has_avx512()) {
    return quantize_activation_row(kAvx512Activations, type, x, y, n);
  }
  return false;
}

void quantize_row(GgmlType type, const float* x, void* y, int64_t n) {
  static const ActivationQuantizers& kActivations =
      cpu_has_avx512() ? kAvx512Activations : kReferenceActivations;
  if (quantize_activation_row(kActivations, type, x, y, n)) return;
  const int64_t nb = blocks_of(type, n);
  switch (type) {
    case GgmlType::F32:
      std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::F16: {
      auto* out = static_cast<uint16_t*>(y);
      for (int64_t i = 0; i < n; ++i) out[i] = fp32_to_fp16(x[i]);
      return;
    }
    case GgmlType::Q4_0:
      return quantize_q4_0(x, static_cast<BlockQ4_0*>(y), nb);
    case GgmlType::Q4_K:
      return quantize_q4_k(x, static_cast<BlockQ4_K*>(y), nb);
    case GgmlType::Q5_K:
      return quantize_q5_k(x, static_cast<BlockQ5_K*>(y), nb);
    case GgmlType::Q6_K:
      return quantize_q6_k(x, static_cast<BlockQ6_K*>(y), nb);
    default:
      throw std::invalid_argument("quantize_row: type " + std::string(type_info(type).name) +
                                  " is not supported");
  }
}

void dequantize_row(GgmlType type, const void* x, float* y, int64_t n) {
  const int64_t nb = blocks_of(type, n);
  switch (type) {
    case GgmlType::F32:
      std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::F16: {
      const auto* in = static_cast<const uint16_t*>(x);
      for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_fp32(in[i]);
      return;
    }
    case GgmlType::Q4_0:
      return dequantize_q4_0(static_cast<const BlockQ4_0*>(x), y, nb);
    case GgmlType::Q8_0:
      return dequantize_q8_0(static_cast<const BlockQ8_0*>(x), y, nb);
    case GgmlType::Q4_K:
      return dequantize_q4_k(static_cast<const BlockQ4_K*>(x), y, nb);
    case GgmlType::Q5_K:
      return dequantize_q5_k(static_cast<const BlockQ5_K*>(x), y, nb);
    case GgmlType::Q6_K:
      return dequantize_q6_k(static_cast<const BlockQ6_K*>(x), y, nb);
    case GgmlType::Q8_K:
      return dequantize_q8_k(static_cast<const BlockQ8_K*>(x), y, nb);
    default:
      throw std::invalid_argument("dequantize_row: type " + std::string(type_info(type).name) +
                                  " is not supported");
  }
}

}  // namespace engine
