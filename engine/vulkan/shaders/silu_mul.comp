// gate[i] = silu(gate[i]) * up[i], one invocation per element.
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 256) in;

#include "grid.glsl"

layout(std430, binding = 0) buffer Gate { float gate[]; };
layout(std430, binding = 1) readonly buffer Up { float up[]; };

layout(push_constant) uniform Shape {
  uint n;
} shape;

void main() {
  const uint i = grid_index();
  if (i >= shape.n) return;
  const float g = gate[i];
  gate[i] = g / (1.0 + exp(-g)) * up[i];
}
