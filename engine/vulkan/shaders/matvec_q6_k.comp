// out[t * rows + r] = dot(Q6_K weight row r, Q8_K activation row t), both in the device layout
// (device_layout.h). Per half block of 128 elements (the items of matvec_tiles.glsl): integer sums
// of (q - 32) * a per 16-element group times its signed scale, then d * d_a * sumi. The CPU scales
// once per block: the two agree to float rounding.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_spirv_intrinsics : enable  // dot4.glsl's INT8_DOT build

#define LANES 32

layout(std430, binding = 0) readonly buffer WeightQuants { uint wq[]; };
layout(std430, binding = 1) readonly buffer WeightScales { uint ws[]; };
layout(std430, binding = 2) readonly buffer InputQuants { uint aq[]; };
layout(std430, binding = 3) readonly buffer InputScales { float ad[]; };
layout(std430, binding = 4) readonly buffer InputSums { int asum[]; };  // unused: q - 32 is exact
layout(std430, binding = 5) writeonly buffer Outputs { float y[]; };

layout(push_constant) uniform Shape {
  uint n_blocks;   // 256-element blocks per row
  uint rows;       // the output row length: rows of the whole matrix
  uint row0;       // the output row of this dispatch's first (a matrix split over bindings)
  uint n_tokens;   // activation rows
  uint part_rows;  // the rows this dispatch computes
} shape;

#include "dot4.glsl"

// Two items a block, its halves of 128 elements: a 4096-wide row gives each of 32 invocations one.
uint n_items() { return shape.n_blocks * 2; }

float block_dot(uint row, uint item, uint token) {
  const uint h = item % 2;
  const uint wb = row * shape.n_blocks + item / 2;
  const uint ab = token * shape.n_blocks + item / 2;
  // ql bytes l and 32 + l give elements l, 32 + l (low nibbles) and 64 + l, 96 + l (high) of the
  // half, qh byte l their top two bits in pairs.
  int s[8] = int[8](0, 0, 0, 0, 0, 0, 0, 0);
  for (uint i = 0; i < 8; ++i) {
    const uint lo = wq[wb * 48 + 16 * h + i];
    const uint hi = wq[wb * 48 + 16 * h + 8 + i];
    const uint top = wq[wb * 48 + 32 + 8 * h + i];
    const uint g = i / 4;
    const uint a = ab * 64 + 32 * h + i;
    s[g] += dot4(less((lo & 0x0f0f0f0fu) | ((top & 0x03030303u) << 4), 32), aq[a]);
    s[g + 2] += dot4(less((hi & 0x0f0f0f0fu) | (((top >> 2) & 0x03030303u) << 4), 32), aq[a + 8]);
    s[g + 4] +=
        dot4(less(((lo >> 4) & 0x0f0f0f0fu) | (((top >> 4) & 0x03030303u) << 4), 32), aq[a + 16]);
    s[g + 6] +=
        dot4(less(((hi >> 4) & 0x0f0f0f0fu) | (((top >> 6) & 0x03030303u) << 4), 32), aq[a + 24]);
  }
  int sumi = 0;
  for (uint g = 0; g < 8; ++g) {
    const uint j = 8 * h + g;
    sumi += bitfieldExtract(int(ws[wb * 5 + 1 + j / 4]), int(8 * (j % 4)), 8) * s[g];
  }
  return unpackHalf2x16(ws[wb * 5]).x * ad[ab] * float(sumi);
}

#include "matvec_tiles.glsl"
