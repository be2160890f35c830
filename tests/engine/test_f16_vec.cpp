// The attention's F16 kernels: every SIMD family against the scalar one on awkward lengths.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tensor/f16_vec.h"
#include "tensor/fp16.h"

namespace engine {
namespace {

struct Case {
  std::vector<uint16_t> h;
  std::vector<float> x;
};

Case make_case(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  Case c;
  for (int64_t i = 0; i < n; ++i) {
    c.h.push_back(fp32_to_fp16(dist(rng)));
    c.x.push_back(dist(rng));
  }
  return c;
}

TEST(F16Kernels, EveryFamilyMatchesScalar) {
  const F16Kernels* scalar = f16_kernels("scalar");
  ASSERT_NE(scalar, nullptr);
  int checked = 0;
  for (const char* family : {"avx2", "avx512"}) {
    const F16Kernels* k = f16_kernels(family);
    if (!k) continue;
    for (int64_t n : {1, 7, 8, 15, 16, 17, 64, 96, 128, 129, 1000}) {
      const Case c = make_case(n, static_cast<uint32_t>(n));
      double mag = 0.0;
      for (int64_t i = 0; i < n; ++i) mag += std::fabs(fp16_to_fp32(c.h[i]) * c.x[i]);
      EXPECT_NEAR(k->dot(n, c.h.data(), c.x.data()), scalar->dot(n, c.h.data(), c.x.data()),
                  1e-6 * mag)
          << family << " n=" << n;

      // The tail past n must stay untouched.
      std::vector<float> want(c.x), got(c.x);
      want.push_back(7.0f);
      got.push_back(7.0f);
      scalar->axpy(n, 0.37f, c.h.data(), want.data());
      k->axpy(n, 0.37f, c.h.data(), got.data());
      for (int64_t i = 0; i <= n; ++i) {
        EXPECT_NEAR(got[i], want[i], 1e-6f * (std::fabs(want[i]) + 1.0f)) << family << " " << i;
      }
      ++checked;
    }
  }
  EXPECT_EQ(f16_kernels("neon"), nullptr);
  if (f16_kernels("avx2")) {
    EXPECT_GT(checked, 0);
  }
}

TEST(F16Kernels, DispatchedMatchesItsFamily) {
  const Case c = make_case(128, 3);
  const F16Kernels* best = f16_kernels("avx512");
  if (!best) best = f16_kernels("avx2");
  if (!best) best = f16_kernels("scalar");
  EXPECT_EQ(dot_f16(128, c.h.data(), c.x.data()), best->dot(128, c.h.data(), c.x.data()));
}

}  // namespace
}  // namespace engine
