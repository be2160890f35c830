// The feed-forward gate: gate[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + e^-g). The SIMD
// families compute e^-g with their own polynomial (gates within 3 ulp of std::exp's), and run the
// same instructions on every element, the array's tail included (zero-padded): an element's result
// never depends on where the chunk it was computed in starts or ends, so on the batch.
#pragma once

#include <cstdint>
#include <string_view>

namespace engine {

using SiluMulFn = void (*)(float* gate, const float* up, int64_t n);

// The best family's kernel for this CPU.
void silu_mul(float* gate, const float* up, int64_t n);

// One family's kernel ("scalar", "avx2", "avx512"), or nullptr where this CPU cannot run it: for
// tests that check each against the scalar one.
SiluMulFn silu_mul_kernel(std::string_view family);

}  // namespace engine
