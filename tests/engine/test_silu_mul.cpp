// The SiLU gate's SIMD families against the scalar one (std::exp), and an element's result
// independent of the chunk it is computed in.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tensor/silu_mul.h"

namespace engine {
namespace {

// Gates over SiLU's whole range, its saturated ends and the values around zero included.
std::vector<float> gates(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 4.0f);
  std::vector<float> g(n);
  for (float& v : g) v = dist(rng);
  const float specials[] = {0.0f,  -0.0f,  1e-30f, -1e-30f, 20.0f, -20.0f, 87.0f, -87.0f,
                            88.5f, -88.5f, 100.0f, -100.0f, 1e30f, -1e30f, 0.5f,  -0.5f};
  for (size_t k = 0; k < std::size(specials) && static_cast<int64_t>(k) < n; ++k) {
    g[k * 7 % n] = specials[k];
  }
  return g;
}

TEST(SiluMul, EveryFamilyMatchesScalar) {
  const SiluMulFn scalar = silu_mul_kernel("scalar");
  ASSERT_NE(scalar, nullptr);
  int checked = 0;
  for (const char* family : {"avx2", "avx512"}) {
    const SiluMulFn k = silu_mul_kernel(family);
    if (!k) continue;
    for (int64_t n : {1, 7, 8, 9, 15, 16, 17, 31, 33, 1000}) {
      SCOPED_TRACE(std::string(family) + " n=" + std::to_string(n));
      const std::vector<float> g = gates(n, static_cast<uint32_t>(n));
      std::vector<float> up(n);
      for (int64_t i = 0; i < n; ++i) up[i] = 0.25f + static_cast<float>(i % 5);
      std::vector<float> got = g, want = g;
      k(got.data(), up.data(), n);
      scalar(want.data(), up.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        // Within 4 ulp, or both below the normal floats.
        EXPECT_NEAR(got[i], want[i],
                    4 * std::numeric_limits<float>::epsilon() * std::fabs(want[i]) +
                        std::numeric_limits<float>::min())
            << "gate " << g[i];
      }
      ++checked;
    }
  }
  EXPECT_EQ(silu_mul_kernel("neon"), nullptr);
  if (checked == 0) GTEST_SKIP() << "this CPU has no SIMD family";
}

TEST(SiluMul, ResultDoesNotDependOnTheChunk) {
  for (const char* family : {"scalar", "avx2", "avx512"}) {
    const SiluMulFn k = silu_mul_kernel(family);
    if (!k) continue;
    SCOPED_TRACE(family);
    const int64_t n = 301;
    const std::vector<float> g = gates(n, 3);
    const std::vector<float> up(n, 1.5f);
    std::vector<float> whole = g;
    k(whole.data(), up.data(), n);
    // The same array in uneven chunks, as the thread pool splits a batch's rows.
    for (int64_t chunk : {1, 5, 13, 16, 37}) {
      std::vector<float> parts = g;
      for (int64_t i = 0; i < n; i += chunk) {
        k(parts.data() + i, up.data() + i, std::min(chunk, n - i));
      }
      for (int64_t i = 0; i < n; ++i)
        EXPECT_EQ(parts[i], whole[i]) << "chunk " << chunk << " at " << i;
    }
  }
}

TEST(SiluMul, KeepsNaNAndInfinities) {
  for (const char* family : {"scalar", "avx2", "avx512"}) {
    const SiluMulFn k = silu_mul_kernel(family);
    if (!k) continue;
    SCOPED_TRACE(family);
    std::vector<float> g = {std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(), 1.0f};
    const std::vector<float> up = {1.0f, 2.0f, std::numeric_limits<float>::quiet_NaN()};
    k(g.data(), up.data(), 3);
    EXPECT_TRUE(std::isnan(g[0]));
    EXPECT_EQ(g[1], std::numeric_limits<float>::infinity());
    EXPECT_TRUE(std::isnan(g[2]));
  }
}

}  // namespace
}  // namespace engine
