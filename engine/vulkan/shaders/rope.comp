// Rotates pairs (2i, 2i+1) of the first rope_dim elements of every head of every token's row by
// the angles of the token's position. The cos and sin come from the host (rope_angles in
// cpu/ops.h, the CPU's own), so the rotation is the CPU's: GPU sin and cos are only required to
// be accurate to 2^-11. One invocation per (token, head, pair).
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 64) in;

#include "grid.glsl"

layout(std430, binding = 0) buffer Rows { float x[]; };
layout(std430, binding = 1) readonly buffer Angles { float cos_sin[]; };  // [token][rope_dim]

layout(push_constant) uniform Shape {
  uint n_tokens;
  uint n_heads;
  uint head_dim;
  uint rope_dim;
} shape;

void main() {
  const uint pairs = shape.rope_dim / 2;
  const uint id = grid_index();
  if (id >= shape.n_tokens * shape.n_heads * pairs) return;
  const uint pair = id % pairs;
  const uint head = (id / pairs) % shape.n_heads;
  const uint token = id / (pairs * shape.n_heads);
  const uint at = (token * shape.n_heads + head) * shape.head_dim + 2 * pair;
  const float c = cos_sin[token * shape.rope_dim + 2 * pair];
  const float s = cos_sin[token * shape.rope_dim + 2 * pair + 1];
  const float a = x[at];
  const float b = x[at + 1];
  x[at] = a * c - b * s;
  x[at + 1] = a * s + b * c;
}
