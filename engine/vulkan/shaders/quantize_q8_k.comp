// F32 activation rows to Q8_K as the CPU quantizes them (quantize_row): per 256-element block,
// the element of largest magnitude maps to -127, q = round-half-to-even(x * -127 / max) capped at
// 127, d = 1 / (-127 / max), and the sums of each 16 quants. Laid out for the matrix shaders: q
// four to a word (element 4i + k in byte k of word i), d a float per block, the 16 sums as ints.
// One invocation per block.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 64) in;

#include "grid.glsl"

layout(std430, binding = 0) readonly buffer Inputs { float x[]; };
layout(std430, binding = 1) writeonly buffer Quants { uint q[]; };
layout(std430, binding = 2) writeonly buffer Scales { float d[]; };
layout(std430, binding = 3) writeonly buffer Sums { int bsums[]; };

layout(push_constant) uniform Shape {
  uint n_blocks;  // blocks of all rows together
} shape;

void main() {
  const uint b = grid_index();
  if (b >= shape.n_blocks) return;
  float amax = 0.0;
  float max_value = 0.0;
  for (uint j = 0; j < 256; ++j) {
    const float v = x[256 * b + j];
    if (abs(v) > amax) {
      amax = abs(v);
      max_value = v;
    }
  }
  const float iscale = amax != 0.0 ? -127.0 / max_value : 0.0;
  d[b] = amax != 0.0 ? 1.0 / iscale : 0.0;
  for (uint g = 0; g < 16; ++g) {
    int sum = 0;
    for (uint w = 0; w < 4; ++w) {
      uint packed = 0;
      for (uint k = 0; k < 4; ++k) {
        const int v = min(127, int(roundEven(iscale * x[256 * b + 16 * g + 4 * w + k])));
        sum += v;
        packed |= uint(v & 0xff) << (8 * k);
      }
      q[64 * b + 4 * g + w] = packed;
    }
    bsums[16 * b + g] = sum;
  }
}
