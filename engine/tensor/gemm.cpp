// Reference dot products and the run-time choice of matrix kernel.
//
// Quantized dots sum integer products exactly within a block and only then scale by the block's
// floats, as ggml does: every kernel family computes the same integers and differs from the
// reference only in the order it adds the scaled block sums.
#include <array>
#include <stdexcept>
#include <string>

#include "tensor/cpu_features.h"
#include "tensor/fp16.h"
#include "tensor/gemm_dots.h"
#include "tensor/quants.h"

namespace engine {

// Each SIMD family's table, defined in quants_<isa>.cpp: nullptr for a type it has no kernel for.
namespace avx2 {
GemmFn kernel(GgmlType weight_type);
}
namespace avx512 {
GemmFn kernel(GgmlType weight_type);
}

namespace {

float dot_f32(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const float*>(w);
  const auto* y = static_cast<const float*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += x[i] * y[i];
  return sum;
}

float dot_f16(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += fp16_to_fp32(x[i]) * fp16_to_fp32(y[i]);
  return sum;
}

float dot_q4_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      sumi += ((x[i].qs[j] & 15) - 8) * y[i].qs[j];
      sumi += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + kQK4_0 / 2];
    }
    sum += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * static_cast<float>(sumi);
  }
  return sum;
}

float dot_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ8_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQK8_0; ++j) sumi += x[i].qs[j] * y[i].qs[j];
    sum += (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) * static_cast<float>(sumi);
  }
  return sum;
}

// Q4_K and Q5_K share everything but the fifth bit; qh is null for Q4_K.
float dot_affine_k(const uint16_t d16, const uint16_t dmin16, const uint8_t* scales,
                   const uint8_t* qh, const uint8_t* qs, const BlockQ8_K& y) {
  int sumi = 0;
  int summ = 0;
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    k_scale_min(scales, j, &sc, &m);
    const int c = j / 2;
    const int shift = (j % 2) * 4;
    int s = 0;
    for (int l = 0; l < 32; ++l) {
      int q = (qs[32 * c + l] >> shift) & 15;
      if (qh) q |= ((qh[l] >> j) & 1) << 4;
      s += q * y.qs[32 * j + l];
    }
    sumi += sc * s;
    summ += m * (y.bsums[2 * j] + y.bsums[2 * j + 1]);
  }
  return fp16_to_fp32(d16) * y.d * static_cast<float>(sumi) -
         fp16_to_fp32(dmin16) * y.d * static_cast<float>(summ);
}

float dot_q4_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    sum += dot_affine_k(x[i].d, x[i].dmin, x[i].scales, nullptr, x[i].qs, y[i]);
  }
  return sum;
}

float dot_q5_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    sum += dot_affine_k(x[i].d, x[i].dmin, x[i].scales, x[i].qh, x[i].qs, y[i]);
  }
  return sum;
}

float dot_q6_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0.0f;
  uint8_t q[kQK_K];
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    q6_k_values(x[i], q);
    int sumi = 0;
    for (int g = 0; g < kQK_K / 16; ++g) {
      int s = 0;
      for (int l = 16 * g; l < 16 * g + 16; ++l) s += (q[l] - 32) * y[i].qs[l];
      sumi += x[i].scales[g] * s;
    }
    sum += fp16_to_fp32(x[i].d) * y[i].d * static_cast<float>(sumi);
  }
  return sum;
}

GemmFn scalar_kernel(GgmlType t) {
  return dot_kernels<dot_f32, dot_f16, dot_q4_0, dot_q8_0, dot_q4_k, dot_q5_k, dot_q6_k>(t);
}

GemmFn family_kernel(GgmlType t, std::string_view family) {
  if (family == "scalar") return scalar_kernel(t);
  if (family == "avx2") return cpu_has_avx2() ? avx2::kernel(t) : nullptr;
  if (family == "avx512") return cpu_has_avx512() ? avx512::kernel(t) : nullptr;
  return nullptr;
}

// Type ids are small (BF16 = 30 is the largest known): index the table by id directly.
constexpr size_t kMaxTypeId = 32;

struct Dispatch {
  std::array<GemmFn, kMaxTypeId> fn{};
  std::array<int64_t, kMaxTypeId> block_mask{};  // block sizes are powers of two: no division
  const char* level = "scalar";
};

// Chosen once: for each type the best family that has a kernel for it.
const Dispatch& dispatch() {
  static const Dispatch table = [] {
    Dispatch d;
    if (cpu_has_avx512()) {
      d.level = "avx512";
    } else if (cpu_has_avx2()) {
      d.level = "avx2";
    }
    for (uint32_t id = 0; id < kMaxTypeId; ++id) {
      const auto info = type_info(id);
      if (!info) continue;
      const auto t = static_cast<GgmlType>(id);
      for (const char* family : {"avx512", "avx2", "scalar"}) {
        if (GemmFn f = family_kernel(t, family)) {
          d.fn[id] = f;
          break;
        }
      }
      d.block_mask[id] = info->block_size - 1;
    }
    return d;
  }();
  return table;
}

[[noreturn]] void unsupported(GgmlType t) {
  const auto info = type_info(static_cast<uint32_t>(t));
  throw std::invalid_argument(
      "no matrix kernel for weight type " +
      (info ? std::string(info->name) : "id " + std::to_string(static_cast<uint32_t>(t))));
}

// The dispatched kernel for `t`; throws where there is none.
GemmFn kernel_for(GgmlType t) {
  const auto id = static_cast<uint32_t>(t);
  if (id >= kMaxTypeId || !dispatch().fn[id]) unsupported(t);
  return dispatch().fn[id];
}

// Throws unless rows of n elements are whole blocks of `t`, a type kernel_for accepted.
void check_whole_blocks(GgmlType t, int64_t n) {
  if (n < 0 || (n & dispatch().block_mask[static_cast<uint32_t>(t)]) != 0) {
    throw std::invalid_argument("rows of " + std::to_string(n) + " elements are not whole " +
                                std::string(type_info(t).name) + " blocks");
  }
}

// One row by one token through kernel f.
float dot_1x1(GemmFn f, int64_t n, const void* weight_row, const void* act_row) {
  float out = 0.0f;
  f({.n = n,
     .w = static_cast<const uint8_t*>(weight_row),
     .n_rows = 1,
     .act = static_cast<const uint8_t*>(act_row),
     .n_tokens = 1,
     .out = &out});
  return out;
}

}  // namespace

GgmlType vec_dot_type(GgmlType weight_type) {
  switch (weight_type) {
    case GgmlType::F32:
      return GgmlType::F32;
    case GgmlType::F16:
      return GgmlType::F16;
    case GgmlType::Q4_0:
    case GgmlType::Q8_0:
      return GgmlType::Q8_0;
    case GgmlType::Q4_K:
    case GgmlType::Q5_K:
    case GgmlType::Q6_K:
      return GgmlType::Q8_K;
    default:
      unsupported(weight_type);
  }
}

void gemm(GgmlType weight_type, const GemmArgs& args) {
  const GemmFn f = kernel_for(weight_type);
  check_whole_blocks(weight_type, args.n);
  f(args);
}

float vec_dot(GgmlType weight_type, int64_t n, const void* weight_row, const void* act_row) {
  const GemmFn f = kernel_for(weight_type);
  check_whole_blocks(weight_type, n);
  return dot_1x1(f, n, weight_row, act_row);
}

float vec_dot_reference(GgmlType weight_type, int64_t n, const void* weight_row,
                        const void* act_row) {
  GemmFn f = scalar_kernel(weight_type);
  if (!f) unsupported(weight_type);
  check_whole_blocks(weight_type, n);
  return dot_1x1(f, n, weight_row, act_row);
}

GemmFn gemm_kernel(GgmlType weight_type, std::string_view family) {
  return family_kernel(weight_type, family);
}

const char* simd_level() { return dispatch().level; }

}  // namespace engine
