// What every matvec shader shares: out[t * rows + row0 + r] = dot(weight row r, activation row t)
// for a tile of ROW_TILE rows by TILE tokens per workgroup. Each invocation keeps the tile's sums
// in registers, so a weight word it loads serves every token of the tile and an activation word
// every row (prefill and batched decode). The including shader declares the Outputs buffer y, its
// push constants `shape` (MatvecShape in grids.h), LANES (its workgroup size), n_items()
// (the blocks, or elements, of a row) and block_dot(row, item, token), one item's term. Each
// invocation sums the items lane, lane + LANES, ... of every (row, token) of the tile in that
// order, then a fixed-shape tree adds the invocations' sums: a token's result is the same in any
// tile, so it never depends on the batch.

const uint ROW_TILE = 4;  // kMatvecRows
const uint TILE = 8;      // kMatvecTokens

layout(local_size_x = LANES) in;

shared float partial[ROW_TILE * TILE][LANES];

void main() {
  const uint row = gl_WorkGroupID.x * ROW_TILE;  // within this dispatch's part of the matrix
  const uint n_rows = min(ROW_TILE, shape.part_rows - row);
  const uint first = gl_WorkGroupID.y * TILE;
  const uint count = min(TILE, shape.n_tokens - first);
  const uint lane = gl_LocalInvocationID.x;
  precise float sums[ROW_TILE][TILE];  // no fused add: the same arithmetic in every slot
  for (uint r = 0; r < ROW_TILE; ++r) {
    for (uint t = 0; t < TILE; ++t) sums[r][t] = 0.0;
  }
  for (uint i = lane; i < n_items(); i += LANES) {
    // Unrolled with constant indices, so the sums stay in registers; n_rows and count are uniform.
    for (uint r = 0; r < ROW_TILE; ++r) {
      for (uint t = 0; t < TILE; ++t) {
        if (r < n_rows && t < count) sums[r][t] += block_dot(row + r, i, first + t);
      }
    }
  }
  for (uint r = 0; r < ROW_TILE; ++r) {
    for (uint t = 0; t < TILE; ++t) {
      if (r < n_rows && t < count) partial[r * TILE + t][lane] = sums[r][t];
    }
  }
  barrier();
  for (uint half_width = LANES / 2; half_width > 0; half_width >>= 1) {
    if (lane < half_width) {
      for (uint k = 0; k < ROW_TILE * TILE; ++k) {
        if (k / TILE < n_rows && k % TILE < count) partial[k][lane] += partial[k][lane + half_width];
      }
    }
    barrier();
  }
  for (uint k = lane; k < ROW_TILE * TILE; k += LANES) {
    const uint r = k / TILE, t = k % TILE;
    if (r < n_rows && t < count) y[(first + t) * shape.rows + shape.row0 + row + r] = partial[k][0];
  }
}
