// out = x / sqrt(mean(x^2) + eps) * weight for each row of n: one workgroup per row, the sum of
// squares by a fixed-shape tree (the CPU sums in double; the two agree within float rounding).
#version 450

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Inputs { float x[]; };
layout(std430, binding = 1) readonly buffer Weight { float weight[]; };
layout(std430, binding = 2) writeonly buffer Outputs { float y[]; };

layout(push_constant) uniform Shape {
  uint n;
  float eps;
} shape;

shared float partial[64];

void main() {
  const uint row = gl_WorkGroupID.x;
  const uint lane = gl_LocalInvocationID.x;
  float sum = 0.0;
  for (uint i = lane; i < shape.n; i += 64) sum += x[row * shape.n + i] * x[row * shape.n + i];
  partial[lane] = sum;
  barrier();
  for (uint half_width = 32; half_width > 0; half_width >>= 1) {
    if (lane < half_width) partial[lane] += partial[lane + half_width];
    barrier();
  }
  const float scale = 1.0 / sqrt(partial[0] / float(shape.n) + shape.eps);
  for (uint i = lane; i < shape.n; i += 64) {
    y[row * shape.n + i] = (x[row * shape.n + i] * scale) * weight[i];
  }
}
