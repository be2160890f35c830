// Q4_K weights by Q8_K activations; see matvec_affine_k.glsl.
#version 450
#extension GL_GOOGLE_include_directive : require

#include "matvec_affine_k.glsl"
