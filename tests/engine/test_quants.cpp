// Quantization formats, round trips and dot-product kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor/fp16.h"
#include "tensor/ggml_type.h"
#include "tensor/quants.h"

namespace engine {
namespace {

std::vector<float> gaussian(int64_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<uint8_t> quantize(GgmlType t, const std::vector<float>& x) {
  std::vector<uint8_t> q(row_bytes(t, static_cast<int64_t>(x.size())));
  quantize_row(t, x.data(), q.data(), static_cast<int64_t>(x.size()));
  return q;
}

std::vector<float> dequantize(GgmlType t, const std::vector<uint8_t>& q, int64_t n) {
  std::vector<float> y(n);
  dequantize_row(t, q.data(), y.data(), n);
  return y;
}

float rms(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * static_cast<double>(a[i] - b[i]);
  return static_cast<float>(std::sqrt(s / static_cast<double>(a.size())));
}

float round_trip_rms(GgmlType t, const std::vector<float>& x) {
  return rms(x, dequantize(t, quantize(t, x), static_cast<int64_t>(x.size())));
}

// ---------------------------------------------------------------------------------------------
// The type table

TEST(QuantTypes, TableMatchesGgml) {
  struct Expect {
    GgmlType t;
    const char* name;
    int64_t block;
    size_t bytes;
    bool supported;
  };
  const Expect all[] = {
      {GgmlType::F32, "f32", 1, 4, true},       {GgmlType::F16, "f16", 1, 2, true},
      {GgmlType::Q4_0, "q4_0", 32, 18, true},   {GgmlType::Q4_1, "q4_1", 32, 20, false},
      {GgmlType::Q5_0, "q5_0", 32, 22, false},  {GgmlType::Q5_1, "q5_1", 32, 24, false},
      {GgmlType::Q8_0, "q8_0", 32, 34, true},   {GgmlType::Q8_1, "q8_1", 32, 36, false},
      {GgmlType::Q2_K, "q2_K", 256, 84, false}, {GgmlType::Q3_K, "q3_K", 256, 110, false},
      {GgmlType::Q4_K, "q4_K", 256, 144, true}, {GgmlType::Q5_K, "q5_K", 256, 176, true},
      {GgmlType::Q6_K, "q6_K", 256, 210, true}, {GgmlType::Q8_K, "q8_K", 256, 292, false},
      {GgmlType::BF16, "bf16", 1, 2, false},
  };
  for (const Expect& e : all) {
    const TypeInfo& info = type_info(e.t);
    EXPECT_EQ(info.name, e.name);
    EXPECT_EQ(info.block_size, e.block) << e.name;
    EXPECT_EQ(info.block_bytes, e.bytes) << e.name;
    EXPECT_EQ(info.supported, e.supported) << e.name;
    const auto by_id = type_info(static_cast<uint32_t>(e.t));
    ASSERT_TRUE(by_id.has_value()) << e.name;
    EXPECT_EQ(by_id->name, e.name);
    EXPECT_EQ(type_from_name(e.name), e.t);
  }
}

TEST(QuantTypes, UnknownIdsAndNames) {
  for (uint32_t id : {4u, 5u, 16u, 29u, 31u, 1000u}) EXPECT_FALSE(type_info(id).has_value()) << id;
  EXPECT_THROW(type_info(static_cast<GgmlType>(4)), std::invalid_argument);
  EXPECT_EQ(type_from_name("Q4_K"), GgmlType::Q4_K);
  EXPECT_EQ(type_from_name("q4_k"), GgmlType::Q4_K);
  EXPECT_EQ(type_from_name("F16"), GgmlType::F16);
  EXPECT_EQ(type_from_name("BF16"), GgmlType::BF16);
  EXPECT_FALSE(type_from_name("q4").has_value());
  EXPECT_FALSE(type_from_name("").has_value());
  EXPECT_FALSE(type_from_name("q4_K ").has_value());
}

TEST(QuantTypes, RowBytes) {
  EXPECT_EQ(row_bytes(GgmlType::F32, 3), 12u);
  EXPECT_EQ(row_bytes(GgmlType::F16, 4097), 8194u);
  EXPECT_EQ(row_bytes(GgmlType::Q8_0, 4096), 128u * 34);
  EXPECT_EQ(row_bytes(GgmlType::Q4_K, 4096), 16u * 144);
  EXPECT_EQ(row_bytes(GgmlType::Q6_K, 14336), 56u * 210);
  EXPECT_EQ(row_bytes(GgmlType::Q4_K, 0), 0u);
  EXPECT_THROW(row_bytes(GgmlType::Q4_K, 100), std::invalid_argument);
  EXPECT_THROW(row_bytes(GgmlType::Q8_0, 31), std::invalid_argument);
  EXPECT_THROW(row_bytes(GgmlType::Q5_K, 4096 + 32), std::invalid_argument);
  EXPECT_THROW(row_bytes(GgmlType::F32, -1), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Hand-checked blocks

TEST(QuantBlocks, Q8_0KnownBytes) {
  // amax 8 -> d = 8/127 (fp16 0x2c08); q = round(x * 127/8) = round((j-16) * 7.9375).
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = (j - 16) * 0.5f;
  const std::vector<uint8_t> q = quantize(GgmlType::Q8_0, x);
  ASSERT_EQ(q.size(), 34u);
  EXPECT_EQ(q[0], 0x08);
  EXPECT_EQ(q[1], 0x2c);
  const int expect[32] = {-127, -119, -111, -103, -95, -87, -79, -71, -64, -56, -48,
                          -40,  -32,  -24,  -16,  -8,  0,   8,   16,  24,  32,  40,
                          48,   56,   64,   71,   79,  87,  95,  103, 111, 119};
  for (int j = 0; j < 32; ++j) EXPECT_EQ(static_cast<int8_t>(q[2 + j]), expect[j]) << j;
}

TEST(QuantBlocks, Q8_0RoundsTiesToEvenAsLlamaCppOnX86) {
  // amax 127 makes the multiplier exactly 1, so x.5 inputs are exact ties.
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;
  x[1] = 62.5f;
  x[2] = 63.5f;
  x[3] = -62.5f;
  const std::vector<uint8_t> q = quantize(GgmlType::Q8_0, x);
  EXPECT_EQ(q[0] | (q[1] << 8), 0x3c00);  // d = 1.0
  EXPECT_EQ(static_cast<int8_t>(q[2]), 127);
  EXPECT_EQ(static_cast<int8_t>(q[3]), 62);
  EXPECT_EQ(static_cast<int8_t>(q[4]), 64);
  EXPECT_EQ(static_cast<int8_t>(q[5]), -62);
}

TEST(QuantBlocks, Q4_0KnownBytes) {
  // The largest magnitude (-8) sets d = -8 / -8 = 1, so q = x + 8.
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j % 16 - 8);
  const std::vector<uint8_t> q = quantize(GgmlType::Q4_0, x);
  ASSERT_EQ(q.size(), 18u);
  EXPECT_EQ(q[0] | (q[1] << 8), 0x3c00);
  for (int j = 0; j < 16; ++j) EXPECT_EQ(q[2 + j], j | (j << 4)) << j;
  EXPECT_EQ(dequantize(GgmlType::Q4_0, q, 32), x);
}

TEST(QuantBlocks, Q8_KKnownBlock) {
  // The signed max-magnitude element (-2) gives iscale = -127 / -2 and d = 1 / iscale.
  std::vector<float> x(256, 0.0f);
  x[0] = -2.0f;
  x[1] = 1.0f;
  x[17] = 0.5f;
  const std::vector<uint8_t> q = quantize(GgmlType::Q8_K, x);
  BlockQ8_K b;
  ASSERT_EQ(q.size(), sizeof(b));
  std::memcpy(&b, q.data(), sizeof(b));
  EXPECT_FLOAT_EQ(b.d, 2.0f / 127.0f);
  EXPECT_EQ(b.qs[0], -127);
  EXPECT_EQ(b.qs[1], 64);   // 63.5 rounds to even
  EXPECT_EQ(b.qs[17], 32);  // 31.75
  EXPECT_EQ(b.bsums[0], -127 + 64);
  EXPECT_EQ(b.bsums[1], 32);
  for (int g = 2; g < 16; ++g) EXPECT_EQ(b.bsums[g], 0);
}

uint64_t fnv1a(const std::vector<uint8_t>& bytes) {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 1099511628211ull;
  }
  return h;
}

TEST(QuantBlocks, MatchesGgmlBytes) {
  // Hashes of the bytes a llama.cpp build (ggml CPU backend, zen4 and haswell variants alike)
  // writes for this input: its activation quantizers (Q8_0, Q8_K) and its Q4_0 reference. The
  // input is exact integer arithmetic and one division, so it is the same on every platform.
  std::vector<float> x(1024);
  for (int i = 0; i < 1024; ++i) x[i] = static_cast<float>((i * 7919) % 1000 - 500) / 137.0f;
  EXPECT_EQ(fnv1a(quantize(GgmlType::Q8_0, x)), 0x995df0218669b9ecull);
  EXPECT_EQ(fnv1a(quantize(GgmlType::Q8_K, x)), 0x096f3f03822bed55ull);
  EXPECT_EQ(fnv1a(quantize(GgmlType::Q4_0, x)), 0x1c9db37be32cc8f7ull);
}

// Scales and mins (sub-blocks 4-7 use the high-bit packing):
//   sc = {1, 2, 3, 4, 17, 33, 50, 63}, m = {0, 5, 10, 15, 20, 40, 60, 63}
constexpr uint8_t kPackedScales[12] = {0x41, 0x82, 0xc3, 0xc4, 0x40, 0x85,
                                       0xca, 0xcf, 0x41, 0x81, 0xc2, 0xff};
constexpr int kSc[8] = {1, 2, 3, 4, 17, 33, 50, 63};
constexpr int kMin[8] = {0, 5, 10, 15, 20, 40, 60, 63};

TEST(QuantBlocks, Q4_KLayout) {
  BlockQ4_K b{};
  b.d = fp32_to_fp16(1.0f);
  b.dmin = fp32_to_fp16(0.5f);
  std::memcpy(b.scales, kPackedScales, 12);
  // Chunk c holds sub-block 2c in low nibbles and 2c+1 in high ones; use q = c+1 and 15-c.
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) b.qs[32 * c + l] = static_cast<uint8_t>((c + 1) | ((15 - c) << 4));
  }
  std::vector<float> y(256);
  dequantize_row(GgmlType::Q4_K, &b, y.data(), 256);
  for (int j = 0; j < 8; ++j) {
    const int q = j % 2 == 0 ? j / 2 + 1 : 15 - j / 2;
    const float expect = 1.0f * kSc[j] * q - 0.5f * kMin[j];
    for (int l = 0; l < 32; ++l) ASSERT_EQ(y[32 * j + l], expect) << j << " " << l;
  }
  // Against all-ones activations (d = 1) the dot is the sum of the dequantized values.
  BlockQ8_K a{};
  a.d = 1.0f;
  for (int8_t& v : a.qs) v = 1;
  for (int16_t& s : a.bsums) s = 16;
  float expect = 0.0f;
  for (float v : y) expect += v;
  EXPECT_FLOAT_EQ(vec_dot_reference(GgmlType::Q4_K, 256, &b, &a), expect);
  EXPECT_FLOAT_EQ(vec_dot(GgmlType::Q4_K, 256, &b, &a), expect);
}

TEST(QuantBlocks, Q5_KLayout) {
  BlockQ5_K b{};
  b.d = fp32_to_fp16(0.25f);
  b.dmin = fp32_to_fp16(1.0f);
  std::memcpy(b.scales, kPackedScales, 12);
  for (uint8_t& q : b.qs) q = 0x73;  // low nibble 3, high 7
  b.qh[3] = 0x81;                    // element 3 of sub-blocks 0 and 7 get +16
  b.qh[31] = 0x20;                   // element 31 of sub-block 5
  std::vector<float> y(256);
  dequantize_row(GgmlType::Q5_K, &b, y.data(), 256);
  auto expect = [&](int j, int q) { return 0.25f * kSc[j] * q - 1.0f * kMin[j]; };
  EXPECT_EQ(y[0], expect(0, 3));
  EXPECT_EQ(y[3], expect(0, 19));
  EXPECT_EQ(y[32 + 3], expect(1, 7));
  EXPECT_EQ(y[7 * 32 + 3], expect(7, 23));
  EXPECT_EQ(y[5 * 32 + 31], expect(5, 23));
  EXPECT_EQ(y[4 * 32 + 31], expect(4, 3));
}

TEST(QuantBlocks, Q6_KLayout) {
  BlockQ6_K b{};
  b.d = fp32_to_fp16(0.5f);
  for (int g = 0; g < 16; ++g) b.scales[g] = static_cast<int8_t>(g * 9 - 70);
  b.ql[0] = 0x5a;        // element 0 low 0xa, element 64 low 0x5
  b.ql[33] = 0xc3;       // element 33 low 0x3, element 97 low 0xc
  b.qh[0] = 0xe4;        // top bits 0,1,2,3 for elements 0, 32, 64, 96
  b.qh[1] = 0x0c;        // element 33 top bits 3
  b.ql[64 + 17] = 0x0f;  // second half: element 128+17
  b.qh[32 + 17] = 0x01;  // top bits 1 for element 128+17
  std::vector<float> y(256);
  dequantize_row(GgmlType::Q6_K, &b, y.data(), 256);
  auto expect = [&](int e, int q) { return 0.5f * b.scales[e / 16] * (q - 32); };
  EXPECT_EQ(y[0], expect(0, 0x0a));
  EXPECT_EQ(y[32], expect(32, 16));
  EXPECT_EQ(y[64], expect(64, 0x05 | 32));
  EXPECT_EQ(y[96], expect(96, 48));
  EXPECT_EQ(y[33], expect(33, 0x03 | 48));
  EXPECT_EQ(y[97], expect(97, 0x0c));
  EXPECT_EQ(y[128 + 17], expect(128 + 17, 0x0f | 16));
  EXPECT_EQ(y[1], expect(1, 0));
}

// ---------------------------------------------------------------------------------------------
// Round trips

struct RoundTripCase {
  GgmlType type;
  float bound;  // RMS error for unit Gaussian data
  const char* why;
};

// Bounds for N(0,1) data, from each format's step size. A uniform quantizer of step s has RMS
// error s/sqrt(12); the typical max |x| of N(0,1) is about 2.0 over 16 elements, 2.3 over 32 and
// 3.0 over 256, and the typical max - min over 32 is about 4.1.
//   F16:  relative error at most 2^-11, so RMS below 2^-11 * rms(x) = 4.9e-4.
//   Q8_0: s = 2.3/127 -> 0.0052 (measured 0.0053); bound 0.0058.
//   Q8_K: s = 3.0/127 -> 0.0068 (measured 0.0070); bound 0.0076.
//   Q4_0: s = 2.3/8 -> 0.083, plus clipping on the side with 7 levels (measured 0.086); 0.095.
//   Q4_K: a plain min/max grid of 16 levels, s = 4.1/15, gives 0.079; the scale search must
//         beat that despite 6-bit scale codes (measured 0.071), so the bound is 0.079.
//   Q5_K: the same with 32 levels: 0.038 (measured 0.035); bound 0.038.
//   Q6_K: 64 levels with the max at -32 over 16 elements, s = 2.0/32, gives 0.018 (measured
//         0.0177); bound 0.019 leaves room for the int8 scale codes.
const RoundTripCase kRoundTrip[] = {
    {GgmlType::F32, 0.0f, "exact"},    {GgmlType::F16, 4.9e-4f, "half"},
    {GgmlType::Q8_0, 0.0058f, "q8_0"}, {GgmlType::Q8_K, 0.0076f, "q8_K"},
    {GgmlType::Q4_0, 0.095f, "q4_0"},  {GgmlType::Q4_K, 0.079f, "q4_K"},
    {GgmlType::Q5_K, 0.038f, "q5_K"},  {GgmlType::Q6_K, 0.019f, "q6_K"},
};

TEST(QuantRoundTrip, GaussianWithinBound) {
  const std::vector<float> x = gaussian(256 * 64, 1234);
  for (const RoundTripCase& c : kRoundTrip) {
    const float e = round_trip_rms(c.type, x);
    EXPECT_LE(e, c.bound) << c.why;
    if (c.type != GgmlType::F32) {
      EXPECT_GT(e, 0.0f) << c.why;  // it does quantize
    }
    std::printf("  round-trip RMS %-5s %.5f (bound %.5f)\n", c.why, e, c.bound);
  }
}

TEST(QuantRoundTrip, ScaleInvariant) {
  // Every format scales per block, so relative error barely depends on magnitude over the range
  // real weights span. (Much below 1e-2 the fp16 super-block scale of Q6_K goes subnormal.)
  const std::vector<float> x = gaussian(256 * 16, 99);
  for (const RoundTripCase& c : kRoundTrip) {
    if (c.type == GgmlType::F16) continue;  // f16 itself has a range
    const float base = round_trip_rms(c.type, x);
    for (float s : {1e-2f, 1e2f}) {
      std::vector<float> xs(x);
      for (float& v : xs) v *= s;
      EXPECT_NEAR(round_trip_rms(c.type, xs) / s, base, 0.02f * base + 1e-7f) << c.why << " " << s;
    }
  }
}

TEST(QuantRoundTrip, DegenerateRows) {
  const int64_t n = 512;
  for (const RoundTripCase& c : kRoundTrip) {
    // All zeros: exact, and no NaN from a zero scale.
    EXPECT_EQ(dequantize(c.type, quantize(c.type, std::vector<float>(n, 0.0f)), n),
              std::vector<float>(n, 0.0f))
        << c.why;
    // A constant row and a single outlier stay finite and close.
    for (float v : {0.75f, -3.0f}) {
      const std::vector<float> x(n, v);
      const std::vector<float> y = dequantize(c.type, quantize(c.type, x), n);
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], v, 0.02f * std::fabs(v)) << c.why << i;
    }
    std::vector<float> spike = gaussian(n, 5, 0.01f);
    spike[77] = 40.0f;
    const std::vector<float> y = dequantize(c.type, quantize(c.type, spike), n);
    for (float v : y) ASSERT_TRUE(std::isfinite(v)) << c.why;
    EXPECT_NEAR(y[77], 40.0f, 0.02f * 40.0f) << c.why;
  }
}

TEST(QuantRoundTrip, IdempotentWhereExact) {
  // Re-quantizing dequantized values reproduces the bytes for formats whose scale comes straight
  // from the block maximum: the maximum survives the round trip and every value is on the grid.
  const int64_t n = 256 * 8;
  const std::vector<float> x = gaussian(n, 77);
  for (GgmlType t : {GgmlType::F16, GgmlType::Q8_0, GgmlType::Q4_0}) {
    const std::vector<uint8_t> q1 = quantize(t, x);
    const std::vector<uint8_t> q2 = quantize(t, dequantize(t, q1, n));
    EXPECT_EQ(q1, q2) << type_info(t).name;
  }
  // Q8_K keeps the values but not always the bytes: its float d is not re-derived bit for bit,
  // and where +max and -max tie after rounding the first one found sets the sign of d.
  {
    const std::vector<float> y1 = dequantize(GgmlType::Q8_K, quantize(GgmlType::Q8_K, x), n);
    const std::vector<float> y2 = dequantize(GgmlType::Q8_K, quantize(GgmlType::Q8_K, y1), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y2[i], y1[i], 1e-6f * std::fabs(y1[i])) << i;
  }
  // The K-quants search their scales, so bytes may move, but values already on a grid must not
  // get worse: the second round trip loses far less than the first.
  for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    const std::vector<float> y1 = dequantize(t, quantize(t, x), n);
    const std::vector<float> y2 = dequantize(t, quantize(t, y1), n);
    EXPECT_LT(rms(y1, y2), 0.25f * rms(x, y1)) << type_info(t).name;
  }
}

// ---------------------------------------------------------------------------------------------
// Dot products

const GgmlType kWeightTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::Q4_0, GgmlType::Q8_0,
                                 GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};

struct DotCase {
  std::vector<uint8_t> w;
  std::vector<uint8_t> a;
  double magnitude;  // sum |w_i a_i| of the dequantized rows: the scale of rounding error
  double exact;      // sum w_i a_i in double from the dequantized rows
};

DotCase make_dot_case(GgmlType t, int64_t n, uint32_t seed) {
  const GgmlType at = vec_dot_type(t);
  DotCase c;
  c.w = quantize(t, gaussian(n, seed));
  c.a = quantize(at, gaussian(n, seed + 1, 3.0f));
  const std::vector<float> wf = dequantize(t, c.w, n);
  const std::vector<float> af = dequantize(at, c.a, n);
  c.magnitude = 0.0;
  c.exact = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    c.magnitude += std::fabs(static_cast<double>(wf[i]) * af[i]);
    c.exact += static_cast<double>(wf[i]) * af[i];
  }
  return c;
}

// One row by one token through a family's matrix kernel.
float dot_1x1(GemmFn f, int64_t n, const std::vector<uint8_t>& w, const std::vector<uint8_t>& a) {
  float out = 0.0f;
  f({.n = n, .w = w.data(), .n_rows = 1, .act = a.data(), .n_tokens = 1, .out = &out});
  return out;
}

std::vector<int64_t> awkward_lengths(GgmlType t) {
  const int64_t bs = type_info(t).block_size;
  if (bs == 1) return {1, 3, 17, 31, 33, 63, 65, 100, 4097};
  return {bs, 3 * bs, 17 * bs};
}

TEST(QuantKernels, ReferenceMatchesDequantizedDot) {
  // Ties the dot kernels' reading of each layout to dequantize_row's.
  for (GgmlType t : kWeightTypes) {
    for (int64_t n : awkward_lengths(t)) {
      const DotCase c = make_dot_case(t, n, 42 + static_cast<uint32_t>(n));
      const float r = vec_dot_reference(t, n, c.w.data(), c.a.data());
      EXPECT_NEAR(r, c.exact, 2e-6 * c.magnitude + 1e-30) << type_info(t).name << " n=" << n;
    }
  }
}

TEST(QuantKernels, SimdMatchesReference) {
  int checked = 0;
  for (const char* family : {"avx2", "avx512"}) {
    for (GgmlType t : kWeightTypes) {
      const GemmFn f = gemm_kernel(t, family);
      if (!f) continue;
      for (int64_t n : awkward_lengths(t)) {
        for (uint32_t seed : {1u, 2u, 3u}) {
          const DotCase c = make_dot_case(t, n, seed * 1000 + static_cast<uint32_t>(n));
          const float ref = vec_dot_reference(t, n, c.w.data(), c.a.data());
          const float got = dot_1x1(f, n, c.w, c.a);
          // Block sums are the same integers; only the order of float additions differs.
          EXPECT_NEAR(got, ref, 2e-6 * c.magnitude + 1e-30)
              << family << " " << type_info(t).name << " n=" << n << " seed=" << seed;
          ++checked;
        }
      }
    }
  }
  if (std::string(simd_level()) != "scalar") {
    EXPECT_GT(checked, 0);
  }
}

TEST(QuantKernels, SimdMatchesReferenceOnRandomBits) {
  // Raw random bytes reach every bit pattern (scale codes of 63, -128, all nibbles) that
  // quantizer output may not; only the fp16 scales are tamed to stay finite.
  std::mt19937 rng(7);
  for (const char* family : {"avx2", "avx512"}) {
    for (GgmlType t :
         {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
      const GemmFn f = gemm_kernel(t, family);
      if (!f) continue;
      const int64_t n = 17 * type_info(t).block_size;
      std::vector<uint8_t> w(row_bytes(t, n));
      for (uint8_t& b : w) b = static_cast<uint8_t>(rng());
      const size_t bb = type_info(t).block_bytes;
      const uint16_t small = fp32_to_fp16(0.01f);
      for (size_t off = 0; off < w.size(); off += bb) {
        // d (and dmin) sit at the start of every block but Q6_K's, where d is last.
        const size_t d_at = t == GgmlType::Q6_K ? off + bb - 2 : off;
        std::memcpy(&w[d_at], &small, 2);
        if (t == GgmlType::Q4_K || t == GgmlType::Q5_K) std::memcpy(&w[off + 2], &small, 2);
      }
      const std::vector<uint8_t> a = quantize(vec_dot_type(t), gaussian(n, 8, 2.0f));
      const std::vector<float> wf = dequantize(t, w, n);
      const std::vector<float> af = dequantize(vec_dot_type(t), a, n);
      double mag = 0.0;
      for (int64_t i = 0; i < n; ++i) mag += std::fabs(static_cast<double>(wf[i]) * af[i]);
      const float ref = vec_dot_reference(t, n, w.data(), a.data());
      EXPECT_NEAR(dot_1x1(f, n, w, a), ref, 2e-6 * mag) << family << " " << type_info(t).name;
    }
  }
}

// Every (row, token) of a many-row, many-token block, in each family: within rounding of the
// reference, and bit for bit what the same row and token give alone, so a sequence's logits do
// not depend on how many rows a thread took or which sequences share its batch.
TEST(QuantKernels, GemmBlocksMatchReferenceAndSingleDots) {
  int checked = 0;
  for (const char* family : {"scalar", "avx2", "avx512"}) {
    for (GgmlType t : kWeightTypes) {
      const GemmFn f = gemm_kernel(t, family);
      if (!f) continue;
      const GgmlType at = vec_dot_type(t);
      const int64_t n = 3 * type_info(t).block_size * (type_info(t).block_size == 1 ? 37 : 1);
      const int64_t rows = 7;
      for (int64_t tokens : {1, 2, 3, 4, 5, 9, 16}) {
        const size_t ws = row_bytes(t, n);
        const size_t as = row_bytes(at, n);
        std::vector<uint8_t> w(ws * rows);
        std::vector<uint8_t> a(as * tokens);
        for (int64_t r = 0; r < rows; ++r) {
          const std::vector<uint8_t> q = quantize(t, gaussian(n, 100 + static_cast<uint32_t>(r)));
          std::memcpy(&w[r * ws], q.data(), ws);
        }
        for (int64_t k = 0; k < tokens; ++k) {
          const std::vector<uint8_t> q =
              quantize(at, gaussian(n, 500 + static_cast<uint32_t>(k), 3.0f));
          std::memcpy(&a[k * as], q.data(), as);
        }
        // Padded output rows: the kernel must write only its own columns.
        const int64_t out_stride = rows + 3;
        std::vector<float> out(out_stride * tokens, -12345.0f);
        f({.n = n,
           .w = w.data(),
           .w_stride = ws,
           .n_rows = rows,
           .act = a.data(),
           .act_stride = as,
           .n_tokens = tokens,
           .out = out.data(),
           .out_stride = out_stride});
        for (int64_t k = 0; k < tokens; ++k) {
          for (int64_t r = 0; r < out_stride; ++r) {
            const float got = out[k * out_stride + r];
            if (r >= rows) {
              EXPECT_EQ(got, -12345.0f) << "wrote outside the block";
              continue;
            }
            const std::vector<uint8_t> wr(w.begin() + r * ws, w.begin() + (r + 1) * ws);
            const std::vector<uint8_t> ak(a.begin() + k * as, a.begin() + (k + 1) * as);
            EXPECT_EQ(got, dot_1x1(f, n, wr, ak)) << family << " " << type_info(t).name << " row "
                                                  << r << " token " << k << " of " << tokens;
            const std::vector<float> wf = dequantize(t, wr, n);
            const std::vector<float> af = dequantize(at, ak, n);
            double mag = 0.0;
            for (int64_t i = 0; i < n; ++i) mag += std::fabs(static_cast<double>(wf[i]) * af[i]);
            EXPECT_NEAR(got, vec_dot_reference(t, n, wr.data(), ak.data()), 2e-6 * mag + 1e-30)
                << family << " " << type_info(t).name;
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 0);
}

// Activations quantized by every family byte for byte as the reference: random rows at many
// scales, and the blocks where the reference's choices show: zeros, a magnitude tie between signs
// (the first element sets the sign), exact rounding ties, NaN and infinity.
TEST(QuantKernels, ActivationQuantizersMatchReferenceBytes) {
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const int64_t n = 4 * kQK_K;
  std::vector<std::vector<float>> rows;
  for (float scale : {1e-30f, 1e-3f, 1.0f, 3e4f}) {
    std::vector<float> x(n);
    for (float& v : x) v = scale * dist(rng);
    rows.push_back(x);
  }
  std::vector<float> special(n, 0.0f);  // block 0 all zeros
  special[kQK_K + 3] = 2.0f;            // block 1: +2 before -2, in one vector
  special[kQK_K + 9] = -2.0f;
  special[kQK_K + 40] = -2.0f;  // and -2 before +2, vectors apart (also in Q8_0's blocks)
  special[kQK_K + 200] = 2.0f;
  special[2 * kQK_K] = 127.0f;  // block 2: 127 makes x.5 exact ties for Q8_0
  special[2 * kQK_K + 1] = 62.5f;
  special[2 * kQK_K + 2] = -63.5f;
  special[3 * kQK_K + 5] = std::numeric_limits<float>::quiet_NaN();  // block 3: NaN, inf
  special[3 * kQK_K + 6] = 1.0f;
  special[3 * kQK_K + 40] = std::numeric_limits<float>::infinity();
  rows.push_back(special);
  // One 127 in each block of 32 makes both scales exactly 1: every other element, k + 0.5, is a
  // rounding tie.
  std::vector<float> ties(n);
  for (int64_t i = 0; i < n; ++i) {
    ties[i] = i % 32 == 7 ? 127.0f : static_cast<float>(i % 97 - 48) + 0.5f;
  }
  rows.push_back(ties);

  int checked = 0;
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q8_K}) {
    for (size_t r = 0; r < rows.size(); ++r) {
      std::vector<uint8_t> want(row_bytes(t, n)), got(want.size(), 0xcd);
      ASSERT_TRUE(quantize_activations("scalar", t, rows[r].data(), want.data(), n));
      if (!quantize_activations("avx512", t, rows[r].data(), got.data(), n)) continue;
      EXPECT_EQ(got, want) << type_info(t).name << " row " << r;
      std::vector<uint8_t> dispatched(want.size());
      quantize_row(t, rows[r].data(), dispatched.data(), n);
      EXPECT_EQ(dispatched, want) << type_info(t).name << " row " << r;
      ++checked;
    }
  }
  EXPECT_FALSE(quantize_activations("scalar", GgmlType::Q4_K, rows[0].data(), nullptr, n));
  EXPECT_FALSE(quantize_activations("neon", GgmlType::Q8_0, rows[0].data(), nullptr, n));
  if (gemm_kernel(GgmlType::Q8_0, "avx512")) {
    EXPECT_EQ(checked, 2 * static_cast<int>(rows.size()));
  }
}

TEST(QuantKernels, DispatchAndFamilies) {
  const std::string level = simd_level();
  EXPECT_TRUE(level == "scalar" || level == "avx2" || level == "avx512") << level;
  for (GgmlType t : kWeightTypes) {
    EXPECT_NE(gemm_kernel(t, "scalar"), nullptr) << type_info(t).name;
    if (level != "scalar") {
      EXPECT_NE(gemm_kernel(t, "avx2"), nullptr) << type_info(t).name;
    }
    const DotCase c = make_dot_case(t, 4096, 11);
    EXPECT_NEAR(vec_dot(t, 4096, c.w.data(), c.a.data()),
                vec_dot_reference(t, 4096, c.w.data(), c.a.data()), 2e-6 * c.magnitude)
        << type_info(t).name;
  }
  if (level == "avx512") {
    for (GgmlType t : kWeightTypes) {
      EXPECT_NE(gemm_kernel(t, "avx512"), nullptr) << type_info(t).name;
    }
  }
  EXPECT_EQ(gemm_kernel(GgmlType::Q4_K, "neon"), nullptr);
  EXPECT_EQ(gemm_kernel(GgmlType::Q4_1, "scalar"), nullptr);
}

TEST(QuantKernels, VecDotTypes) {
  EXPECT_EQ(vec_dot_type(GgmlType::F32), GgmlType::F32);
  EXPECT_EQ(vec_dot_type(GgmlType::F16), GgmlType::F16);
  EXPECT_EQ(vec_dot_type(GgmlType::Q4_0), GgmlType::Q8_0);
  EXPECT_EQ(vec_dot_type(GgmlType::Q8_0), GgmlType::Q8_0);
  EXPECT_EQ(vec_dot_type(GgmlType::Q4_K), GgmlType::Q8_K);
  EXPECT_EQ(vec_dot_type(GgmlType::Q5_K), GgmlType::Q8_K);
  EXPECT_EQ(vec_dot_type(GgmlType::Q6_K), GgmlType::Q8_K);
}

TEST(QuantErrors, UnsupportedAndMisalignedThrow) {
  std::vector<float> x(512, 1.0f);
  std::vector<uint8_t> buf(4096);
  EXPECT_THROW(quantize_row(GgmlType::Q4_1, x.data(), buf.data(), 32), std::invalid_argument);
  EXPECT_THROW(quantize_row(GgmlType::Q4_K, x.data(), buf.data(), 100), std::invalid_argument);
  EXPECT_THROW(dequantize_row(GgmlType::Q2_K, buf.data(), x.data(), 256), std::invalid_argument);
  EXPECT_THROW(dequantize_row(GgmlType::Q8_0, buf.data(), x.data(), 33), std::invalid_argument);
  EXPECT_THROW(vec_dot_type(GgmlType::Q4_1), std::invalid_argument);
  EXPECT_THROW(vec_dot(GgmlType::Q8_K, 256, buf.data(), buf.data()), std::invalid_argument);
  EXPECT_THROW(vec_dot(GgmlType::Q4_K, 300, buf.data(), buf.data()), std::invalid_argument);
  EXPECT_THROW(vec_dot_reference(GgmlType::BF16, 4, buf.data(), buf.data()), std::invalid_argument);
}

}  // namespace
}  // namespace engine
