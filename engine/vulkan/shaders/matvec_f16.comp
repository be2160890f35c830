// out[t * rows + r] = dot(F16 weight row r, activation row t rounded to F16), as the CPU converts
// activations to F16 for F16 weights and sums their products in F32. Weights are pairs of halves
// per word (n even), the items of matvec_tiles.glsl.
#version 450
#extension GL_GOOGLE_include_directive : require

#define LANES 64

layout(std430, binding = 0) readonly buffer Weights { uint w[]; };
layout(std430, binding = 1) readonly buffer Inputs { float x[]; };
layout(std430, binding = 2) writeonly buffer Outputs { float y[]; };

layout(push_constant) uniform Shape {
  uint n;          // elements per row
  uint rows;       // the output row length: rows of the whole matrix
  uint row0;       // the output row of this dispatch's first (a matrix split over bindings)
  uint n_tokens;   // activation rows
  uint part_rows;  // the rows this dispatch computes
} shape;

float to_half(float v) { return unpackHalf2x16(packHalf2x16(vec2(v, 0.0))).x; }

uint n_items() { return shape.n / 2; }

float block_dot(uint row, uint i, uint token) {
  const vec2 wv = unpackHalf2x16(w[row * (shape.n / 2) + i]);
  const uint at = token * shape.n + 2 * i;
  return wv.x * to_half(x[at]) + wv.y * to_half(x[at + 1]);
}

#include "matvec_tiles.glsl"
