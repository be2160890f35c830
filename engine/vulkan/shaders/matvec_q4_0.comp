// out[t * rows + r] = dot(Q4_0 weight row r, Q8_0 activation row t), both in the device layout
// (device_layout.h): per block, as the CPU, the exact integer sum of (q - 8) * a, then
// (d_w * d_a) * sumi. Blocks are the items of matvec_tiles.glsl.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_spirv_intrinsics : enable  // dot4.glsl's INT8_DOT build

#define LANES 32

layout(std430, binding = 0) readonly buffer WeightQuants { uint wq[]; };
layout(std430, binding = 1) readonly buffer WeightScales { uint wd[]; };  // F16 pairs
layout(std430, binding = 2) readonly buffer InputQuants { uint aq[]; };
layout(std430, binding = 3) readonly buffer InputScales { float ad[]; };
layout(std430, binding = 4) writeonly buffer Outputs { float y[]; };

layout(push_constant) uniform Shape {
  uint n_blocks;   // 32-element blocks per row
  uint rows;       // the output row length: rows of the whole matrix
  uint row0;       // the output row of this dispatch's first (a matrix split over bindings)
  uint n_tokens;   // activation rows
  uint part_rows;  // the rows this dispatch computes
} shape;

#include "dot4.glsl"

uint n_items() { return shape.n_blocks; }

float block_dot(uint row, uint b, uint token) {
  const uint w0 = (row * shape.n_blocks + b) * 4;
  const uint a0 = (token * shape.n_blocks + b) * 8;
  int sumi = 0;
  // Byte j's low nibble is element j, its high nibble element j + 16.
  for (uint i = 0; i < 4; ++i) {
    const uint w = wq[w0 + i];
    sumi += dot4(less(w & 0x0f0f0f0fu, 8), aq[a0 + i]);
    sumi += dot4(less((w >> 4) & 0x0f0f0f0fu, 8), aq[a0 + 4 + i]);
  }
  const float dw = unpackHalf2x16(wd[row * ((shape.n_blocks + 1) / 2) + b / 2])[b % 2];
  return (dw * ad[token * shape.n_blocks + b]) * float(sumi);
}

#include "matvec_tiles.glsl"
