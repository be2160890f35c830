// The attention's inner loops over the F16 KV cache, for the query heads that share one KV head:
// the query and the softmax weights rounded to F16, dot products of n_h rows of halves (cached
// keys) with m float rows (the queries), and y_r += sum over j of a_rj * halves_j (cached values)
// for m rows. Each row of halves is converted once per pass of up to four float rows, and the
// kernels loop over the n_h rows themselves, which may lie anywhere (the cache is paged). SIMD
// where the CPU has it (F16C converts 8 or 16 halves an instruction); each output's order of
// additions depends only on n and n_h, never on m or the batch.
#pragma once

#include <cstdint>
#include <string_view>

namespace engine {

// out[r * out_stride + j] = sum over i < n of h[j][i] * x[r * x_stride + i], for j < n_h, r < m.
void dot_f16_rows(int64_t n, const uint16_t* const* h, int64_t n_h, const float* x,
                  int64_t x_stride, int64_t m, float* out, int64_t out_stride);

// y[r * y_stride + i] += a[r * a_stride + j] * h[j][i] for j = 0, 1, ... n_h - 1 in turn, for
// i < n and r < m.
void axpy_f16_rows(int64_t n, const float* a, int64_t a_stride, const uint16_t* const* h,
                   int64_t n_h, float* y, int64_t y_stride, int64_t m);

// x[i] = x[i] rounded to the nearest F16 value (ties to even), for i < n.
void round_to_f16(float* x, int64_t n);

// out[i] = fp32_to_fp16(x[i]), for i < n: the KV cache's rows as they are stored.
void to_f16(const float* x, uint16_t* out, int64_t n);

// One family's kernels ("scalar", "avx2", "avx512"), or nullptr where this CPU cannot run it: for
// tests that check each against the scalar one.
struct F16Kernels {
  void (*dot_rows)(int64_t n, const uint16_t* const* h, int64_t n_h, const float* x,
                   int64_t x_stride, int64_t m, float* out, int64_t out_stride);
  void (*axpy_rows)(int64_t n, const float* a, int64_t a_stride, const uint16_t* const* h,
                    int64_t n_h, float* y, int64_t y_stride, int64_t m);
  void (*round_to_f16)(float* x, int64_t n);
  void (*to_f16)(const float* x, uint16_t* out, int64_t n);
};
const F16Kernels* f16_kernels(std::string_view family);

}  // namespace engine
