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

void dot_rows_scalar(int64_t n, const uint16_t* const* h, int64_t n_h, const float* x,
                     int64_t x_stride, int64_t m, float* out, int64_t out_stride) {
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t j = 0; j < n_h; ++j) {
      float sum = 0.0f;
      for (int64_t i = 0; i < n; ++i) sum += fp16_to_fp32(h[j][i]) * x[r * x_stride + i];
      out[r * out_stride + j] = sum;
    }
  }
}

void axpy_rows_scalar(int64_t n, const float* a, int64_t a_stride, const uint16_t* const* h,
                      int64_t n_h, float* y, int64_t y_stride, int64_t m) {
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t j = 0; j < n_h; ++j) {
      for (int64_t i = 0; i < n; ++i) {
        y[r * y_stride + i] += a[r * a_stride + j] * fp16_to_fp32(h[j][i]);
      }
    }
  }
}

void round_to_f16_scalar(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = fp16_to_fp32(fp32_to_fp16(x[i]));
}

void to_f16_scalar(const float* x, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = fp32_to_fp16(x[i]);
}

constexpr F16Kernels kScalar{dot_rows_scalar, axpy_rows_scalar, round_to_f16_scalar, to_f16_scalar};

const F16Kernels& best() {
  static const F16Kernels& k = cpu_has_avx512() ? avx512::kF16Kernels
                               : cpu_has_avx2() ? avx2::kF16Kernels
                                                : kScalar;
  return k;
}

}  // namespace

void dot_f16_rows(int64_t n, const uint16_t* const* h, int64_t n_h, const float* x,
                  int64_t x_stride, int64_t m, float* out, int64_t out_stride) {
  best().dot_rows(n, h, n_h, x, x_stride, m, out, out_stride);
}

void axpy_f16_rows(int64_t n, const float* a, int64_t a_stride, const uint16_t* const* h,
                   int64_t n_h, float* y, int64_t y_stride, int64_t m) {
  best().axpy_rows(n, a, a_stride, h, n_h, y, y_stride, m);
}

void round_to_f16(float* x, int64_t n) { best().round_to_f16(x, n); }

void to_f16(const float* x, uint16_t* out, int64_t n) { best().to_f16(x, out, n); }

const F16Kernels* f16_kernels(std::string_view family) {
  if (family == "scalar") return &kScalar;
  if (family == "avx2") return cpu_has_avx2() ? &avx2::kF16Kernels : nullptr;
  if (family == "avx512") return cpu_has_avx512() ? &avx512::kF16Kernels : nullptr;
  return nullptr;
}

}  // namespace engine
