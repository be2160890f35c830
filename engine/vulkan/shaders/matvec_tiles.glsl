// What every matvec shader shares: out[t * rows + row0 + r] = dot(weight row r, activation row t)
// for a tile of up to TILE tokens per workgroup, so each weight block is fetched from memory once
// for all of them (prefill and batched decode) rather than once per token. The including shader
// declares the Outputs buffer y, its push constants `shape` (with rows, row0 and n_tokens), LANES
// (its workgroup size), n_items() (the blocks, or elements, of a row) and
// block_dot(row, item, token), one item's term. Each invocation sums the items lane, lane + LANES,
// ... of every token of the tile in that order, then a fixed-shape tree adds the invocations'
// sums: a token's result is the same in any tile, so it never depends on the batch.

const uint TILE = 8;

layout(local_size_x = LANES) in;

shared float partial[TILE][LANES];

void main() {
  const uint row = gl_WorkGroupID.x;
  const uint first = gl_WorkGroupID.y * TILE;
  const uint count = min(TILE, shape.n_tokens - first);
  const uint lane = gl_LocalInvocationID.x;
  float sums[TILE];
  for (uint t = 0; t < TILE; ++t) sums[t] = 0.0;
  for (uint i = lane; i < n_items(); i += LANES) {
    // Unrolled with constant indices, so the sums stay in registers; count is uniform.
    for (uint t = 0; t < TILE; ++t) {
      if (t < count) sums[t] += block_dot(row, i, first + t);
    }
  }
  for (uint t = 0; t < TILE; ++t) {
    if (t < count) partial[t][lane] = sums[t];
  }
  barrier();
  for (uint half_width = LANES / 2; half_width > 0; half_width >>= 1) {
    if (lane < half_width) {
      for (uint t = 0; t < count; ++t) partial[t][lane] += partial[t][lane + half_width];
    }
    barrier();
  }
  if (lane < count) y[(first + lane) * shape.rows + shape.row0 + row] = partial[lane][0];
}
