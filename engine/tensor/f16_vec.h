// The attention's inner loops over the F16 KV cache, for the query heads that share one KV head:
// dot products of one row of halves (a cached key) with m float rows (the queries), and
// y_r += a_r * halves (a cached value) for m rows. The halves are converted once for all m rows.
// SIMD where the CPU has it (F16C converts 8 or 16 halves an instruction); each row's order of
// additions depends only on n, never on m or the batch.
#pragma once

#include <cstdint>
#include <string_view>

namespace engine {

// out[r * out_stride] = sum over i < n of h[i] * x[r * x_stride + i], for r < m.
void dot_f16_rows(int64_t n, const uint16_t* h, const float* x, int64_t x_stride, int64_t m,
                  float* out, int64_t out_stride);

// y[r * y_stride + i] += a[r * a_stride] * h[i] for i < n and r < m.
void axpy_f16_rows(int64_t n, const float* a, int64_t a_stride, const uint16_t* h, float* y,
                   int64_t y_stride, int64_t m);

// One family's kernels ("scalar", "avx2", "avx512"), or nullptr where this CPU cannot run it: for
// tests that check each against the scalar one.
struct F16Kernels {
  void (*dot_rows)(int64_t n, const uint16_t* h, const float* x, int64_t x_stride, int64_t m,
                   float* out, int64_t out_stride);
  void (*axpy_rows)(int64_t n, const float* a, int64_t a_stride, const uint16_t* h, float* y,
                    int64_t y_stride, int64_t m);
};
const F16Kernels* f16_kernels(std::string_view family);

}  // namespace engine
