// Q5_K weights by Q8_K activations; see matvec_affine_k.glsl.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_spirv_intrinsics : enable  // dot4.glsl's INT8_DOT build

#define FIFTH_BIT 1
#include "matvec_affine_k.glsl"
