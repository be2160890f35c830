// AVX2 silu_mul (see silu_mul.h): 8 floats a register.

#include "tensor/silu_mul_vec.h"

namespace engine::avx2 {

void silu_mul(float* gate, const float* up, int64_t n) { silu_mul_lanes<8>(gate, up, n); }

}  // namespace engine::avx2
