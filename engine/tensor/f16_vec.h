// The attention's inner loops over the F16 KV cache: a dot product of halves with floats and
// y += a * halves. SIMD where the CPU has it (F16C converts 8 or 16 halves an instruction); the
// order of additions depends only on n, never on the batch.
#pragma once

#include <cstdint>
#include <string_view>

namespace engine {

float dot_f16(int64_t n, const uint16_t* h, const float* x);
void axpy_f16(int64_t n, float a, const uint16_t* h, float* y);

// One family's kernels ("scalar", "avx2", "avx512"), or nullptr where this CPU cannot run it: for
// tests that check each against the scalar one.
struct F16Kernels {
  float (*dot)(int64_t n, const uint16_t* h, const float* x);
  void (*axpy)(int64_t n, float a, const uint16_t* h, float* y);
};
const F16Kernels* f16_kernels(std::string_view family);

}  // namespace engine
