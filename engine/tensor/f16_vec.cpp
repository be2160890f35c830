#include "tensor/f16_vec.h"

#include "tensor/cpu_features.h"
#include "tensor/fp16.h"

namespace engine {

namespace avx2 {
extern const F16Kernels kF16Kernels;
}
namespace avx512 {
extern const F16Kernels kF16Kernels;
}

namespace {

float dot_scalar(int64_t n, const uint16_t* h, const float* x) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += fp16_to_fp32(h[i]) * x[i];
  return sum;
}

void axpy_scalar(int64_t n, float a, const uint16_t* h, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * fp16_to_fp32(h[i]);
}

constexpr F16Kernels kScalar{dot_scalar, axpy_scalar};

const F16Kernels& best() {
  static const F16Kernels& k = cpu_has_avx512() ? avx512::kF16Kernels
                               : cpu_has_avx2() ? avx2::kF16Kernels
                                                : kScalar;
  return k;
}

}  // namespace

float dot_f16(int64_t n, const uint16_t* h, const float* x) { return best().dot(n, h, x); }

void axpy_f16(int64_t n, float a, const uint16_t* h, float* y) { best().axpy(n, a, h, y); }

const F16Kernels* f16_kernels(std::string_view family) {
  if (family == "scalar") return &kScalar;
  if (family == "avx2") return cpu_has_avx2() ? &avx2::kF16Kernels : nullptr;
  if (family == "avx512") return cpu_has_avx512() ? &avx512::kF16Kernels : nullptr;
  return nullptr;
}

}  // namespace engine
