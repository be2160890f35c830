// The body of matvec_q4_k.comp and matvec_q5_k.comp (with FIFTH_BIT): out[t * rows + r] =
// dot(weight row r, Q8_K activation row t), both in the device layout (device_layout.h). Per
// 32-element sub-block (the items of matvec_tiles.glsl): the exact integer sum times the
// sub-block's six-bit scale, its min times the activations' 16-element sums, then
// d * d_a * (scale * sum) - dmin * d_a * (min * sums). The CPU adds a block's eight sub-blocks in
// integers and scales once: the two agree to float rounding.

#ifdef FIFTH_BIT
const uint WORDS = 40;  // quant words per block: qs, then qh
#else
const uint WORDS = 32;
#endif

#define LANES 32

layout(std430, binding = 0) readonly buffer WeightQuants { uint wq[]; };
layout(std430, binding = 1) readonly buffer WeightScales { uint ws[]; };
layout(std430, binding = 2) readonly buffer InputQuants { uint aq[]; };
layout(std430, binding = 3) readonly buffer InputScales { float ad[]; };
layout(std430, binding = 4) readonly buffer InputSums { int asum[]; };
layout(std430, binding = 5) writeonly buffer Outputs { float y[]; };

layout(push_constant) uniform Shape {
  uint n_blocks;   // 256-element blocks per row
  uint rows;       // the output row length: rows of the whole matrix
  uint row0;       // the output row of this dispatch's first (a matrix split over bindings)
  uint n_tokens;   // activation rows
  uint part_rows;  // the rows this dispatch computes
} shape;

#include "dot4.glsl"

// Eight items a block: a 4096-wide row gives each of 32 invocations four, and neighbouring
// invocations read neighbouring words.
uint n_items() { return shape.n_blocks * 8; }

float block_dot(uint row, uint item, uint token) {
  const uint b = item / 8;
  const uint j = item % 8;
  const uint wb = row * shape.n_blocks + b;
  const uint ab = token * shape.n_blocks + b;
  const vec2 dmin = unpackHalf2x16(ws[wb * 5]);
  const uint sc = bitfieldExtract(ws[wb * 5 + 1 + j / 4], int(8 * (j % 4)), 8);
  const uint m = bitfieldExtract(ws[wb * 5 + 3 + j / 4], int(8 * (j % 4)), 8);
  // Sub-block j: the low (j even) or high nibbles of chunk j / 2's 32 bytes.
  const uint shift = 4 * (j % 2);
  int s = 0;
  for (uint i = 0; i < 8; ++i) {
    uint q = (wq[wb * WORDS + 8 * (j / 2) + i] >> shift) & 0x0f0f0f0fu;
#ifdef FIFTH_BIT
    // Bit j of qh byte l is the fifth bit of element l of sub-block j.
    q |= ((wq[wb * WORDS + 32 + i] >> j) & 0x01010101u) << 4;
#endif
    s += dot4(q, aq[ab * 64 + 8 * j + i]);
  }
  const int summ = int(m) * (asum[ab * 16 + 2 * j] + asum[ab * 16 + 2 * j + 1]);
  const float da = ad[ab];
  return dmin.x * da * float(int(sc) * s) - dmin.y * da * float(summ);
}

#include "matvec_tiles.glsl"
