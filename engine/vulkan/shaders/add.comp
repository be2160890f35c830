// x[i] += y[i], one invocation per element: the residual connections.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 256) in;

#include "grid.glsl"

layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Y { float y[]; };

layout(push_constant) uniform Shape {
  uint n;
} shape;

void main() {
  const uint i = grid_index();
  if (i < shape.n) x[i] += y[i];
}
