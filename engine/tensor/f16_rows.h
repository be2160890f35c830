// What the SIMD family files of f16_vec.h's kernels share: the m-row loops, and the prefetching
// of the rows of halves. A family writes kernels for a fixed number of float rows (1 to a few) per
// pass over the rows of halves; these run them over any m, as many rows a pass as the family has
// kernels for. Each instantiation takes a file's own internal-linkage kernels, so it is unique to
// that file's instruction set.
#pragma once

#include <xmmintrin.h>

#include <cstdint>

namespace engine {

// Internal linkage, so that each family file keeps its own copy: inline code shared by files
// built with different -m flags could be merged by the linker into the wider set's copy.
namespace {

// Rows of halves this far ahead are prefetched, and the first ones before the loop: the cache's
// rows are short and far apart (one KV head of one position), so the hardware prefetchers do not
// see them coming, and a 16-sequence decoding step stalled on them.
constexpr int64_t kRowsAhead = 16;

// Asks for the lines of n halves from row into L1.
inline void prefetch_row(const uint16_t* row, int64_t n) {
  const char* p = reinterpret_cast<const char*>(row);
  for (int64_t b = 0; b < n * 2; b += 64) _mm_prefetch(p + b, _MM_HINT_T0);
}

}  // namespace

using DotRowsFn = void (*)(int64_t n, const uint16_t* const* h, int64_t n_h, const float* x,
                           int64_t x_stride, float* out, int64_t out_stride);
using AxpyRowsFn = void (*)(int64_t n, const float* a, int64_t a_stride, const uint16_t* const* h,
                            int64_t n_h, float* y, int64_t y_stride);

// kDots[r - 1] takes r rows.
template <DotRowsFn... kDots>
void dot_rows_in_passes(int64_t n, const uint16_t* const* h, int64_t n_h, const float* x,
                        int64_t x_stride, int64_t m, float* out, int64_t out_stride) {
  constexpr DotRowsFn kFns[] = {kDots...};
  constexpr int64_t kMax = sizeof...(kDots);
  for (int64_t r = 0; r < m; r += kMax) {
    const int64_t rows = m - r < kMax ? m - r : kMax;
    kFns[rows - 1](n, h, n_h, x + r * x_stride, x_stride, out + r * out_stride, out_stride);
  }
}

// kAxpys[r - 1] takes r rows.
template <AxpyRowsFn... kAxpys>
void axpy_rows_in_passes(int64_t n, const float* a, int64_t a_stride, const uint16_t* const* h,
                         int64_t n_h, float* y, int64_t y_stride, int64_t m) {
  constexpr AxpyRowsFn kFns[] = {kAxpys...};
  constexpr int64_t kMax = sizeof...(kAxpys);
  for (int64_t r = 0; r < m; r += kMax) {
    const int64_t rows = m - r < kMax ? m - r : kMax;
    kFns[rows - 1](n, a + r * a_stride, a_stride, h, n_h, y + r * y_stride, y_stride);
  }
}

}  // namespace engine
