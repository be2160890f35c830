// out[t * rows + r] = dot(w row r, x row t) for F32 weights: one workgroup per (row, token), its
// invocations striding over the row, then a fixed-shape tree sum, so the result never depends on
// what else is in the batch.
#version 450

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Weights { float w[]; };
layout(std430, binding = 1) readonly buffer Inputs { float x[]; };
layout(std430, binding = 2) writeonly buffer Outputs { float y[]; };

layout(push_constant) uniform Shape {
  uint n;     // elements per row
  uint rows;  // the output row length: rows of the whole matrix
  uint row0;  // the output row of this dispatch's first (a matrix split over bindings)
} shape;

shared float partial[64];

void main() {
  const uint row = gl_WorkGroupID.x;
  const uint token = gl_WorkGroupID.y;
  const uint lane = gl_LocalInvocationID.x;
  float sum = 0.0;
  for (uint i = lane; i < shape.n; i += 64) {
    sum += w[row * shape.n + i] * x[token * shape.n + i];
  }
  partial[lane] = sum;
  barrier();
  for (uint half_width = 32; half_width > 0; half_width >>= 1) {
    if (lane < half_width) partial[lane] += partial[lane + half_width];
    barrier();
  }
  if (lane == 0) y[token * shape.rows + shape.row0 + row] = partial[0];
}
