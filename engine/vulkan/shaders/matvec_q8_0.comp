// out[t * rows + r] = dot(Q8_0 weight row r, Q8_0 activation row t), both in the device layout
// (device_layout.h): each block's 32 products are summed exactly in integers, then scaled by
// d_w * d_a, as the CPU does. One workgroup per (row, token): invocations take blocks in turn,
// then a fixed-shape tree adds their sums, so the result never depends on the batch.
#version 450

layout(local_size_x = 32) in;

layout(std430, binding = 0) readonly buffer WeightQuants { uint wq[]; };
layout(std430, binding = 1) readonly buffer WeightScales { uint wd[]; };  // F16 pairs
layout(std430, binding = 2) readonly buffer InputQuants { uint aq[]; };
layout(std430, binding = 3) readonly buffer InputScales { float ad[]; };
layout(std430, binding = 4) writeonly buffer Outputs { float y[]; };

layout(push_constant) uniform Shape {
  uint n_blocks;  // 32-element blocks per row
  uint rows;  // the output row length: rows of the whole matrix
  uint row0;  // the output row of this dispatch's first (a matrix split over bindings)
} shape;

shared float partial[32];

// The dot product of two words of four signed bytes each.
int dot4(uint a, uint b) {
  int s = 0;
  for (int k = 0; k < 4; ++k) {
    s += bitfieldExtract(int(a), 8 * k, 8) * bitfieldExtract(int(b), 8 * k, 8);
  }
  return s;
}

void main() {
  const uint row = gl_WorkGroupID.x;
  const uint token = gl_WorkGroupID.y;
  const uint lane = gl_LocalInvocationID.x;
  const uint scale_words = (shape.n_blocks + 1) / 2;
  float sum = 0.0;
  for (uint b = lane; b < shape.n_blocks; b += 32) {
    const uint w0 = (row * shape.n_blocks + b) * 8;
    const uint a0 = (token * shape.n_blocks + b) * 8;
    int sumi = 0;
    for (uint i = 0; i < 8; ++i) sumi += dot4(wq[w0 + i], aq[a0 + i]);
    const float dw = unpackHalf2x16(wd[row * scale_words + b / 2])[b % 2];
    sum += (dw * ad[token * shape.n_blocks + b]) * float(sumi);
  }
  partial[lane] = sum;
  barrier();
  for (uint half_width = 16; half_width > 0; half_width >>= 1) {
    if (lane < half_width) partial[lane] += partial[lane + half_width];
    barrier();
  }
  if (lane == 0) y[token * shape.rows + shape.row0 + row] = partial[0];
}
