// e^x for the SIMD kernels, one way everywhere: x is split as n ln2 + r with n = round(x log2 e)
// and |r| <= ln2 / 2, and e^x = 2^n e^r with e^r from its Taylor polynomial of degree 7
// (truncation under 1e-8 relative). x is first clamped to [kMin, kMax]: below kMin, e^x (under
// 3e-38) is taken as e^kMin; kMax is past ln FLT_MAX, so e^x still overflows to infinity.
#pragma once

namespace engine::exp_poly {

inline constexpr float kMin = -86.5f;
inline constexpr float kMax = 89.0f;
inline constexpr float kLog2e = 1.44269504088896341f;
// ln 2 = kLn2Hi + kLn2Lo, kLn2Hi with few enough bits that n * kLn2Hi is exact.
inline constexpr float kLn2Hi = 0.693359375f;
inline constexpr float kLn2Lo = -2.12194440e-4f;
// 1 / k! for k = 7 down to 0, Horner's order.
inline constexpr float kTaylor[8] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24,
                                     1.0f / 6,    0.5f,       1.0f,       1.0f};

}  // namespace engine::exp_poly
