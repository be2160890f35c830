// The attention's F16 kernels: every SIMD family against the scalar one on awkward lengths.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "tensor/f16_vec.h"
#include "tensor/fp16.h"

namespace engine {
namespace {

// One row of halves and m float rows of n each, m_stride apart (padding between rows).
struct Case {
  std::vector<uint16_t> h;
  std::vector<float> x;
  int64_t stride;
};

Case make_case(int64_t n, int64_t m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  Case c{{}, {}, n + 3};
  for (int64_t i = 0; i < n; ++i) c.h.push_back(fp32_to_fp16(dist(rng)));
  for (int64_t i = 0; i < m * c.stride; ++i) c.x.push_back(dist(rng));
  return c;
}

// Each family against the scalar kernels, and each row of an m-row call bit for bit what the same
// row gives alone: a head's attention does not depend on how many heads share its KV head.
TEST(F16Kernels, EveryFamilyMatchesScalarAndRowsAreIndependent) {
  const F16Kernels* scalar = f16_kernels("scalar");
  ASSERT_NE(scalar, nullptr);
  int checked = 0;
  for (const char* family : {"scalar", "avx2", "avx512"}) {
    const F16Kernels* k = f16_kernels(family);
    if (!k) continue;
    for (int64_t n : {1, 7, 8, 15, 16, 17, 64, 96, 128, 129, 1000}) {
      for (int64_t m : {1, 3, 4, 5, 9}) {
        SCOPED_TRACE(std::string(family) + " n=" + std::to_string(n) + " m=" + std::to_string(m));
        const Case c = make_case(n, m, static_cast<uint32_t>(n * 16 + m));
        std::vector<float> dots(2 * m, -5.0f), want(m);
        k->dot_rows(n, c.h.data(), c.x.data(), c.stride, m, dots.data(), 2);
        scalar->dot_rows(n, c.h.data(), c.x.data(), c.stride, m, want.data(), 1);
        for (int64_t r = 0; r < m; ++r) {
          const float* xr = c.x.data() + r * c.stride;
          float alone = 0.0f;
          k->dot_rows(n, c.h.data(), xr, c.stride, 1, &alone, 1);
          EXPECT_EQ(dots[2 * r], alone) << "row " << r;
          EXPECT_EQ(dots[2 * r + 1], -5.0f) << "wrote between outputs";
          double mag = 0.0;
          for (int64_t i = 0; i < n; ++i) mag += std::fabs(fp16_to_fp32(c.h[i]) * xr[i]);
          EXPECT_NEAR(dots[2 * r], want[r], 1e-6 * mag) << "row " << r;
        }

        // y rows with their padding: the padding must stay untouched.
        std::vector<float> a(2 * m);
        for (int64_t r = 0; r < m; ++r) a[2 * r] = 0.37f - 0.1f * static_cast<float>(r);
        std::vector<float> got(c.x), ref(c.x);
        k->axpy_rows(n, a.data(), 2, c.h.data(), got.data(), c.stride, m);
        scalar->axpy_rows(n, a.data(), 2, c.h.data(), ref.data(), c.stride, m);
        for (int64_t r = 0; r < m; ++r) {
          std::vector<float> alone(c.x.begin() + r * c.stride, c.x.begin() + (r + 1) * c.stride);
          k->axpy_rows(n, &a[2 * r], 2, c.h.data(), alone.data(), c.stride, 1);
          for (int64_t i = 0; i < c.stride; ++i) {
            const float g = got[r * c.stride + i];
            EXPECT_EQ(g, alone[i]) << "row " << r << " element " << i;
            if (i >= n) {
              EXPECT_EQ(g, c.x[r * c.stride + i]) << "wrote past n";
            } else {
              EXPECT_NEAR(g, ref[r * c.stride + i],
                          1e-6f * (std::fabs(ref[r * c.stride + i]) + 1.0f));
            }
          }
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(f16_kernels("neon"), nullptr);
  EXPECT_GT(checked, 0);
}

TEST(F16Kernels, DispatchedMatchesItsFamily) {
  const Case c = make_case(128, 4, 3);
  const F16Kernels* best = f16_kernels("avx512");
  if (!best) best = f16_kernels("avx2");
  if (!best) best = f16_kernels("scalar");
  float got[4], want[4];
  dot_f16_rows(128, c.h.data(), c.x.data(), c.stride, 4, got, 1);
  best->dot_rows(128, c.h.data(), c.x.data(), c.stride, 4, want, 1);
  for (int r = 0; r < 4; ++r) EXPECT_EQ(got[r], want[r]);
}

}  // namespace
}  // namespace engine
