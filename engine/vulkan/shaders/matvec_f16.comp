// out[t * rows + r] = dot(F16 weight row r, activation row t rounded to F16), as the CPU converts
// activations to F16 for F16 weights and sums their products in F32. Weights are pairs of halves
// per word (n even). One workgroup per (row, token), invocations striding over the row, then a
// fixed-shape tree sum: the result never depends on the batch.
#version 450

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Weights { uint w[]; };
layout(std430, binding = 1) readonly buffer Inputs { float x[]; };
layout(std430, binding = 2) writeonly buffer Outputs { float y[]; };

layout(push_constant) uniform Shape {
  uint n;     // elements per row
  uint rows;  // the output row length: rows of the whole matrix
  uint row0;  // the output row of this dispatch's first (a matrix split over bindings)
} shape;

shared float partial[64];

float to_half(float v) { return unpackHalf2x16(packHalf2x16(vec2(v, 0.0))).x; }

void main() {
  const uint row = gl_WorkGroupID.x;
  const uint token = gl_WorkGroupID.y;
  const uint lane = gl_LocalInvocationID.x;
  const uint words = shape.n / 2;
  float sum = 0.0;
  for (uint i = lane; i < words; i += 64) {
    const vec2 wv = unpackHalf2x16(w[row * words + i]);
    const uint at = token * shape.n + 2 * i;
    sum += wv.x * to_half(x[at]);
    sum += wv.y * to_half(x[at + 1]);
  }
  partial[lane] = sum;
  barrier();
  for (uint half_width = 32; half_width > 0; half_width >>= 1) {
    if (lane < half_width) partial[lane] += partial[lane + half_width];
    barrier();
  }
  if (lane == 0) y[token * shape.rows + shape.row0 + row] = partial[0];
}
