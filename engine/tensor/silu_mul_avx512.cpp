// AVX-512 silu_mul (see silu_mul.h): 16 floats a register.

#include "tensor/silu_mul_vec.h"

namespace engine::avx512 {

void silu_mul(float* gate, const float* up, int64_t n) { silu_mul_lanes<16>(gate, up, n); }

}  // namespace engine::avx512
