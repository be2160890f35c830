// Stores each token's key and value rows (F32, kv_dim each) into the paged cache as F16, at its
// position's slot: ((layer * n_blocks + table[pos / block_size]) * block_size + pos % block_size)
// * kv_dim, the layout of KvCache. One invocation per pair of entries (kv_dim is even), so no two
// write the same word.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 64) in;

#include "grid.glsl"

layout(std430, binding = 0) readonly buffer K { float k[]; };  // [token][kv_dim]
layout(std430, binding = 1) readonly buffer V { float v[]; };
layout(std430, binding = 2) buffer Keys { uint keys[]; };      // F16 pairs
layout(std430, binding = 3) buffer Values { uint values[]; };  // F16 pairs
layout(std430, binding = 4) readonly buffer Tables { int tables[]; };  // [token][max_blocks]
layout(std430, binding = 5) readonly buffer Positions { int positions[]; };

layout(push_constant) uniform Shape {
  uint layer;
  uint n_blocks;
  uint block_size;
  uint kv_dim;
  uint max_blocks;
  uint n_tokens;
} s;

void main() {
  const uint pairs = s.kv_dim / 2;
  const uint id = grid_index();
  if (id >= s.n_tokens * pairs) return;
  const uint token = id / pairs;
  const uint i = 2 * (id % pairs);
  const uint pos = uint(positions[token]);
  const uint block = uint(tables[token * s.max_blocks + pos / s.block_size]);
  const uint at = ((s.layer * s.n_blocks + block) * s.block_size + pos % s.block_size) * s.kv_dim + i;
  const uint src = token * s.kv_dim + i;
  keys[at / 2] = packHalf2x16(vec2(k[src], k[src + 1]));
  values[at / 2] = packHalf2x16(vec2(v[src], v[src + 1]));
}
