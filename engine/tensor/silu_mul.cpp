#include "tensor/silu_mul.h"

#include <cmath>

#include "tensor/cpu_features.h"

namespace engine {

namespace avx2 {
void silu_mul(float* gate, const float* up, int64_t n);
}
namespace avx512 {
void silu_mul(float* gate, const float* up, int64_t n);
}

namespace {

void silu_mul_scalar(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

}  // namespace

SiluMulFn silu_mul_kernel(std::string_view family) {
  if (family == "scalar") return silu_mul_scalar;
  if (family == "avx2" && cpu_has_avx2()) return avx2::silu_mul;
  if (family == "avx512" && cpu_has_avx512()) return avx512::silu_mul;
  return nullptr;
}

void silu_mul(float* gate, const float* up, int64_t n) {
  static const SiluMulFn best = cpu_has_avx512() ? avx512::silu_mul
                                : cpu_has_avx2() ? avx2::silu_mul
                                                 : silu_mul_scalar;
  best(gate, up, n);
}

}  // namespace engine
