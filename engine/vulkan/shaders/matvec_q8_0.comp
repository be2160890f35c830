// out[t * rows + r] = dot(Q8_0 weight row r, Q8_0 activation row t), both in the device layout
// (device_layout.h): each block's 32 products are summed exactly in integers, then scaled by
// d_w * d_a, as the CPU does. Blocks are the items of matvec_tiles.glsl.
#version 450
#extension GL_GOOGLE_include_directive : require

#define LANES 32

layout(std430, binding = 0) readonly buffer WeightQuants { uint wq[]; };
layout(std430, binding = 1) readonly buffer WeightScales { uint wd[]; };  // F16 pairs
layout(std430, binding = 2) readonly buffer InputQuants { uint aq[]; };
layout(std430, binding = 3) readonly buffer InputScales { float ad[]; };
layout(std430, binding = 4) writeonly buffer Outputs { float y[]; };

layout(push_constant) uniform Shape {
  uint n_blocks;  // 32-element blocks per row
  uint rows;      // the output row length: rows of the whole matrix
  uint row0;      // the output row of this dispatch's first (a matrix split over bindings)
  uint n_tokens;  // activation rows
} shape;

// The dot product of two words of four signed bytes each.
int dot4(uint a, uint b) {
  int s = 0;
  for (int k = 0; k < 4; ++k) {
    s += bitfieldExtract(int(a), 8 * k, 8) * bitfieldExtract(int(b), 8 * k, 8);
  }
  return s;
}

uint n_items() { return shape.n_blocks; }

float block_dot(uint row, uint b, uint token) {
  const uint w0 = (row * shape.n_blocks + b) * 8;
  const uint a0 = (token * shape.n_blocks + b) * 8;
  int sumi = 0;
  for (uint i = 0; i < 8; ++i) sumi += dot4(wq[w0 + i], aq[a0 + i]);
  const float dw = unpackHalf2x16(wd[row * ((shape.n_blocks + 1) / 2) + b / 2])[b % 2];
  return (dw * ad[token * shape.n_blocks + b]) * float(sumi);
}

#include "matvec_tiles.glsl"
