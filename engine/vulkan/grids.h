// The workgroup grids the host dispatches: the matvec shaders' tiles of kMatvecRows rows by
// kMatvecTokens tokens (vulkan/shaders/matvec_tiles.glsl) with their push constants, and
// one-dimensional grids spread over y (vulkan/shaders/grid.glsl), since a device may take as few
// as 65535 workgroups along x (maxComputeWorkGroupCount).
#pragma once

#include <algorithm>
#include <cstdint>

namespace engine::vulkan {

struct Grid {
  uint32_t x;
  uint32_t y;
};

// Workgroups of per_group for `items` invocations: x at most max_x, y as many rows as needed.
inline Grid spread(int64_t items, int64_t per_group, uint32_t max_x) {
  const int64_t groups = (items + per_group - 1) / per_group;
  const int64_t x = std::max<int64_t>(1, std::min<int64_t>(groups, max_x));
  return {static_cast<uint32_t>(x), static_cast<uint32_t>((groups + x - 1) / x)};
}

constexpr uint32_t kMatvecRows = 4;    // ROW_TILE in matvec_tiles.glsl
constexpr uint32_t kMatvecTokens = 8;  // TILE in matvec_tiles.glsl

// The matvec shaders' push constants.
struct MatvecShape {
  uint32_t n;          // per row: elements (F32, F16) or blocks (the quantized types)
  uint32_t rows;       // the output row length: rows of the whole matrix
  uint32_t row0;       // the output row of this dispatch's first (a matrix split over bindings)
  uint32_t n_tokens;   // activation rows
  uint32_t part_rows;  // the rows this dispatch computes
};

// x: row tiles, y: token tiles.
inline Grid matvec_grid(const MatvecShape& s) {
  return {(s.part_rows + kMatvecRows - 1) / kMatvecRows,
          (s.n_tokens + kMatvecTokens - 1) / kMatvecTokens};
}

}  // namespace engine::vulkan
