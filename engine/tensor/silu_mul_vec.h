// The SIMD families' silu_mul (see silu_mul.h), written once over GCC's vector extensions: each
// family file instantiates it with its register's width, and the same source compiles to that
// file's instruction set. Internal linkage, as in f16_rows.h: the linker must not merge copies
// built with different -m flags.
#pragma once

#include <cstdint>
#include <cstring>

namespace engine {
namespace {

// W floats, or W int32s, in one register.
template <int W>
struct Lanes {
  typedef float F __attribute__((vector_size(4 * W)));
  typedef int32_t I __attribute__((vector_size(4 * W)));
};
template <int W>
using FloatLanes = typename Lanes<W>::F;
template <int W>
using IntLanes = typename Lanes<W>::I;

// e^x: x is split as n ln2 + r with n = round(x log2 e) and |r| <= ln2 / 2, and e^x = 2^n e^r
// with e^r from its Taylor polynomial of degree 7 (truncation under 1e-8 relative). x is first
// clamped to [kMin, kMax]: below kMin, e^x (under 3e-38) is taken as e^kMin; kMax is past
// ln FLT_MAX, so e^x still overflows to infinity.
template <int W>
FloatLanes<W> exp_lanes(FloatLanes<W> x) {
  using F = FloatLanes<W>;
  constexpr float kMin = -86.5f, kMax = 89.0f;
  constexpr float kLog2e = 1.44269504088896341f;
  // ln 2 = kLn2Hi + kLn2Lo, kLn2Hi with few enough bits that n * kLn2Hi is exact.
  constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  // 1 / k! for k = 7 down to 0, Horner's order.
  constexpr float kTaylor[8] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24,
                                1.0f / 6,    0.5f,       1.0f,       1.0f};
  // Adding and taking off 1.5 * 2^23 rounds a float of magnitude under 2^22 to an integer.
  constexpr float kRound = 0x1.8p23f;
  const F lo = F{} + kMin, hi = F{} + kMax;
  x = x < hi ? x : hi;  // a NaN becomes kMax; silu's g / (...) stays NaN
  x = x > lo ? x : lo;
  const F n = (x * kLog2e + kRound) - kRound;
  const F r = (x - n * kLn2Hi) - n * kLn2Lo;
  F p = F{} + kTaylor[0];
  for (int k = 1; k < 8; ++k) p = p * r + kTaylor[k];
  // 2p * 2^(n - 1), 2^(n - 1) from its exponent bits: after the clamp, n - 1 is a normal float's
  // exponent, and the product overflows to infinity where e^x does.
  const IntLanes<W> bits = (__builtin_convertvector(n, IntLanes<W>) + 126) << 23;
  F scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return (p + p) * scale;
}

// W elements of gate and up at a time, bytes of them (all W but in the tail).
template <int W>
inline void silu_mul_at(float* gate, const float* up, size_t bytes) {
  using F = FloatLanes<W>;
  F g{}, u{};
  std::memcpy(&g, gate, bytes);
  std::memcpy(&u, up, bytes);
  const F out = g / (1.0f + exp_lanes<W>(-g)) * u;
  std::memcpy(gate, &out, bytes);
}

// W elements at a time; the tail goes through the same arithmetic, zero-padded, so that an
// element's result never depends on where its chunk ends.
template <int W>
void silu_mul_lanes(float* gate, const float* up, int64_t n) {
  int64_t i = 0;
  for (; i + W <= n; i += W) silu_mul_at<W>(gate + i, up + i, sizeof(FloatLanes<W>));
  if (i < n) silu_mul_at<W>(gate + i, up + i, sizeof(float) * static_cast<size_t>(n - i));
}

}  // namespace
}  // namespace engine
