// out[t * rows + r] = dot(w row r, x row t) for F32 weights; the tiles and sums of
// matvec_tiles.glsl, items being elements.
#version 450
#extension GL_GOOGLE_include_directive : require

#define LANES 64

layout(std430, binding = 0) readonly buffer Weights { float w[]; };
layout(std430, binding = 1) readonly buffer Inputs { float x[]; };
layout(std430, binding = 2) writeonly buffer Outputs { float y[]; };

layout(push_constant) uniform Shape {
  uint n;          // elements per row
  uint rows;       // the output row length: rows of the whole matrix
  uint row0;       // the output row of this dispatch's first (a matrix split over bindings)
  uint n_tokens;   // activation rows
  uint part_rows;  // the rows this dispatch computes
} shape;

uint n_items() { return shape.n; }

float block_dot(uint row, uint i, uint token) { return w[row * shape.n + i] * x[token * shape.n + i]; }

#include "matvec_tiles.glsl"
