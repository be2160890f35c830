// The attention's F16 kernels: every SIMD family against the scalar one on awkward lengths.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tensor/f16_vec.h"
#include "tensor/fp16.h"

namespace engine {
namespace {

// n_h rows of halves (apart in memory, as a paged cache's are) and m float rows of n each,
// `stride` apart (padding between rows).
struct Case {
  std::vector<std::vector<uint16_t>> h;
  std::vector<const uint16_t*> rows;
  std::vector<float> x;
  int64_t stride;
};

Case make_case(int64_t n, int64_t n_h, int64_t m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  Case c{std::vector<std::vector<uint16_t>>(n_h), {}, {}, n + 3};
  for (std::vector<uint16_t>& row : c.h) {
    for (int64_t i = 0; i < n; ++i) row.push_back(fp32_to_fp16(dist(rng)));
    c.rows.push_back(row.data());
  }
  for (int64_t i = 0; i < m * c.stride; ++i) c.x.push_back(dist(rng));
  return c;
}

// Each family against the scalar kernels, and each float row of an m-row call bit for bit what
// the same row gives alone: a head's attention does not depend on how many heads share its KV
// head.
TEST(F16Kernels, EveryFamilyMatchesScalarAndRowsAreIndependent) {
  const F16Kernels* scalar = f16_kernels("scalar");
  ASSERT_NE(scalar, nullptr);
  int checked = 0;
  for (const char* family : {"scalar", "avx2", "avx512"}) {
    const F16Kernels* k = f16_kernels(family);
    if (!k) continue;
    for (int64_t n : {1, 7, 8, 15, 16, 17, 24, 64, 96, 128, 129, 1000}) {
      for (int64_t m : {1, 3, 4, 5, 9}) {
        for (int64_t n_h : {1, 2, 5, 20}) {
          SCOPED_TRACE(std::string(family) + " n=" + std::to_string(n) + " m=" + std::to_string(m) +
                       " n_h=" + std::to_string(n_h));
          const Case c = make_case(n, n_h, m, static_cast<uint32_t>(n * 64 + m * 8 + n_h));
          // Outputs n_h + 1 apart: the gaps must stay untouched.
          const int64_t out_stride = n_h + 1;
          std::vector<float> dots(m * out_stride, -5.0f), want(m * n_h);
          k->dot_rows(n, c.rows.data(), n_h, c.x.data(), c.stride, m, dots.data(), out_stride);
          scalar->dot_rows(n, c.rows.data(), n_h, c.x.data(), c.stride, m, want.data(), n_h);
          for (int64_t r = 0; r < m; ++r) {
            const float* xr = c.x.data() + r * c.stride;
            std::vector<float> alone(n_h);
            k->dot_rows(n, c.rows.data(), n_h, xr, c.stride, 1, alone.data(), n_h);
            for (int64_t j = 0; j < n_h; ++j) {
              EXPECT_EQ(dots[r * out_stride + j], alone[j]) << "row " << r << " key " << j;
              double mag = 0.0;
              for (int64_t i = 0; i < n; ++i) mag += std::fabs(fp16_to_fp32(c.h[j][i]) * xr[i]);
              EXPECT_NEAR(dots[r * out_stride + j], want[r * n_h + j], 1e-6 * mag)
                  << "row " << r << " key " << j;
            }
            EXPECT_EQ(dots[r * out_stride + n_h], -5.0f) << "wrote between outputs";
          }

          // y rows with their padding: the padding must stay untouched. The weights are a row of
          // n_h per float row, n_h + 1 apart, with NaN between them that must not be read.
          std::vector<float> a(m * out_stride, std::numeric_limits<float>::quiet_NaN());
          for (int64_t r = 0; r < m; ++r) {
            for (int64_t j = 0; j < n_h; ++j) {
              a[r * out_stride + j] = 0.37f - 0.1f * static_cast<float>(r) + 0.05f * j;
            }
          }
          std::vector<float> got(c.x), ref(c.x);
          k->axpy_rows(n, a.data(), out_stride, c.rows.data(), n_h, got.data(), c.stride, m);
          scalar->axpy_rows(n, a.data(), out_stride, c.rows.data(), n_h, ref.data(), c.stride, m);
          for (int64_t r = 0; r < m; ++r) {
            std::vector<float> alone(c.x.begin() + r * c.stride, c.x.begin() + (r + 1) * c.stride);
            k->axpy_rows(n, &a[r * out_stride], out_stride, c.rows.data(), n_h, alone.data(),
                         c.stride, 1);
            // The same rows added one call at a time, in order: the sum runs over j in turn.
            std::vector<float> one_by_one(alone.size());
            std::copy(c.x.begin() + r * c.stride, c.x.begin() + (r + 1) * c.stride,
                      one_by_one.begin());
            for (int64_t j = 0; j < n_h; ++j) {
              k->axpy_rows(n, &a[r * out_stride + j], out_stride, &c.rows[j], 1, one_by_one.data(),
                           c.stride, 1);
            }
            for (int64_t i = 0; i < c.stride; ++i) {
              const float g = got[r * c.stride + i];
              EXPECT_EQ(g, alone[i]) << "row " << r << " element " << i;
              EXPECT_EQ(g, one_by_one[i]) << "row " << r << " element " << i;
              if (i >= n) {
                EXPECT_EQ(g, c.x[r * c.stride + i]) << "wrote past n";
              } else {
                EXPECT_NEAR(g, ref[r * c.stride + i],
                            1e-6f * n_h * (std::fabs(ref[r * c.stride + i]) + 1.0f));
              }
            }
          }
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(f16_kernels("neon"), nullptr);
  EXPECT_GT(checked, 0);
}

// Rounding to F16 (in place, and to halves as the KV cache stores them) bit for bit as the scalar
// reference, on every length's tail and on the values where rounding is delicate: ties,
// subnormals, the largest half, overflow, infinity and NaNs with payloads (quiet and signalling).
TEST(F16Kernels, RoundToF16MatchesScalar) {
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 30.0f);
  std::vector<float> values = {0.0f,
                               -0.0f,
                               1.0f + 0x1p-11f,
                               1.0f + 3 * 0x1p-11f,
                               0x1p-24f,
                               0x1p-25f,
                               0x1.8p-24f,
                               0x1p-14f - 0x1p-26f,
                               65504.0f,
                               65519.0f,
                               65520.0f,
                               -1e9f,
                               1e-30f,
                               0.1f,
                               -2.5e-6f,
                               std::bit_cast<float>(0x7fc02000u),
                               std::bit_cast<float>(0xff801234u),
                               std::numeric_limits<float>::infinity()};
  while (values.size() < 203) values.push_back(dist(rng) * std::pow(2.0f, dist(rng) / 4.0f));
  const F16Kernels* scalar = f16_kernels("scalar");
  int checked = 0;
  for (const char* family : {"avx2", "avx512"}) {
    const F16Kernels* k = f16_kernels(family);
    if (!k) continue;
    for (size_t n : {size_t{1}, size_t{7}, size_t{8}, size_t{17}, values.size()}) {
      std::vector<float> got(values.begin(), values.begin() + n), want(got);
      k->round_to_f16(got.data(), static_cast<int64_t>(n));
      scalar->round_to_f16(want.data(), static_cast<int64_t>(n));
      // One half past the end, which must stay untouched.
      std::vector<uint16_t> halves(n + 1, 0xabcd);
      k->to_f16(values.data(), halves.data(), static_cast<int64_t>(n));
      for (size_t i = 0; i < n; ++i) {
        EXPECT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
            << family << " value " << values[i];
        EXPECT_EQ(halves[i], fp32_to_fp16(values[i])) << family << " value " << values[i];
      }
      EXPECT_EQ(halves[n], 0xabcd) << family << " wrote past the end";
      ++checked;
    }
  }
  std::vector<float> x = {1.0f + 0x1p-11f};
  round_to_f16(x.data(), 1);
  EXPECT_EQ(x[0], 1.0f);  // a tie rounds to even
  if (f16_kernels("avx2")) {
    EXPECT_GT(checked, 0);
  }
}

TEST(F16Kernels, DispatchedMatchesItsFamily) {
  const Case c = make_case(128, 3, 4, 3);
  const F16Kernels* best = f16_kernels("avx512");
  if (!best) best = f16_kernels("avx2");
  if (!best) best = f16_kernels("scalar");
  float got[12], want[12];
  dot_f16_rows(128, c.rows.data(), 3, c.x.data(), c.stride, 4, got, 3);
  best->dot_rows(128, c.rows.data(), 3, c.x.data(), c.stride, 4, want, 3);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(got[i], want[i]);
}

}  // namespace
}  // namespace engine
