// F32 activation rows to Q8_0 as the CPU quantizes them (quantize_row): per 32-element block,
// d = amax / 127 rounded to F16, q = round-half-to-even(x * 127 / amax). Laid out for the matrix
// shaders (device_layout.h): q four to a word, element 4i + k in byte k of word i, and d as one
// float per block. One invocation per block.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 64) in;

#include "grid.glsl"

layout(std430, binding = 0) readonly buffer Inputs { float x[]; };
layout(std430, binding = 1) writeonly buffer Quants { uint q[]; };
layout(std430, binding = 2) writeonly buffer Scales { float d[]; };

layout(push_constant) uniform Shape {
  uint n_blocks;  // blocks of all rows together
} shape;

void main() {
  const uint b = grid_index();
  if (b >= shape.n_blocks) return;
  float amax = 0.0;
  for (uint j = 0; j < 32; ++j) amax = max(amax, abs(x[32 * b + j]));
  d[b] = unpackHalf2x16(packHalf2x16(vec2(amax / 127.0, 0.0))).x;
  const float id = amax != 0.0 ? 127.0 / amax : 0.0;
  for (uint w = 0; w < 8; ++w) {
    uint packed = 0;
    for (uint k = 0; k < 4; ++k) {
      const int v = int(roundEven(x[32 * b + 4 * w + k] * id));
      packed |= uint(v & 0xff) << (8 * k);
    }
    q[8 * b + w] = packed;
  }
}
