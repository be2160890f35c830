// Quantization, dequantization and dot products for every supported weight type.
//
// A matrix product follows ggml's scheme so results track llama.cpp's: each activation row is
// first converted to the weight type's `vec_dot_type` (F32 stays F32, F16 -> F16, Q4_0/Q8_0 ->
// Q8_0, K-quants -> Q8_K), then each weight row is dotted with it block by block.
#pragma once

#include <cstdint>
#include <string_view>

#include "tensor/ggml_type.h"

namespace engine {

// Float -> blocks of `type` (n a multiple of the block size). Supported for F32, F16, Q4_0, Q8_0,
// Q4_K, Q5_K, Q6_K and Q8_K.
void quantize_row(GgmlType type, const float* x, void* y, int64_t n);

// quantize_row for an activation type (Q8_0, Q8_K) with one family's code: "scalar" (the
// reference) or "avx512", bit for bit the same. False where the family has none for `type` or this
// CPU cannot run it. quantize_row uses the fastest; tests check each against the reference.
bool quantize_activations(std::string_view family, GgmlType type, const float* x, void* y,
                          int64_t n);

// Blocks of `type` -> float.
void dequantize_row(GgmlType type, const void* x, float* y, int64_t n);

// The type activations are converted to before a dot product with weights of `weight_type`.
GgmlType vec_dot_type(GgmlType weight_type);

// A block of a matrix product: out[t * out_stride + r] = dot(weight row r, activation row t) for
// r < n_rows and t < n_tokens, activations already in vec_dot_type(weight type).
struct GemmArgs {
  int64_t n = 0;  // elements per row, whole blocks
  const uint8_t* w = nullptr;
  size_t w_stride = 0;  // bytes
  int64_t n_rows = 0;
  const uint8_t* act = nullptr;
  size_t act_stride = 0;  // bytes
  int64_t n_tokens = 0;
  float* out = nullptr;
  int64_t out_stride = 0;  // floats
};

// Computes a GemmArgs block with the fastest kernel the CPU supports. Each output is computed the
// same way whatever n_rows and n_tokens are, so a sequence's logits never depend on its
// batch-mates; all kernels agree with the reference within float rounding of the block sums.
void gemm(GgmlType weight_type, const GemmArgs& args);

// One weight row dotted with one activation row: a 1x1 gemm.
float vec_dot(GgmlType weight_type, int64_t n, const void* weight_row, const void* act_row);

// The plain C++ reference for vec_dot, used by tests to check the SIMD kernels.
float vec_dot_reference(GgmlType weight_type, int64_t n, const void* weight_row,
                        const void* act_row);

// The kernel family chosen at startup ("avx512", "avx2" or "scalar"), for logs and benchmarks.
const char* simd_level();

// One matrix kernel, as gemm calls it (no argument checks).
using GemmFn = void (*)(const GemmArgs& args);

// The kernel of one family ("scalar", "avx2", "avx512") for `weight_type`, or nullptr where that
// family has none or this CPU cannot run it. For tests and benchmarks that check or time every
// family, not only the one gemm picks.
GemmFn gemm_kernel(GgmlType weight_type, std::string_view family);

// ggml's block layouts, byte for byte, so the files we write are the files llama.cpp reads. Halves
// are IEEE binary16 bit patterns (see fp16.h).
inline constexpr int kQK4_0 = 32;
inline constexpr int kQK8_0 = 32;
inline constexpr int kQK_K = 256;        // elements per K-quant super-block
inline constexpr int kKScaleBytes = 12;  // 8 six-bit scales and 8 six-bit mins (Q4_K, Q5_K)

struct BlockQ4_0 {
  uint16_t d;              // scale: x = d * (q - 8)
  uint8_t qs[kQK4_0 / 2];  // element j in the low nibble of qs[j], element j+16 in the high
};

struct BlockQ8_0 {
  uint16_t d;  // scale: x = d * q
  int8_t qs[kQK8_0];
};

// 8 sub-blocks of 32: x = d * sc[j] * q - dmin * m[j], sc and m six bits each, packed in scales.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQK_K / 2];  // 4 chunks of 32 bytes: sub-block 2c low nibbles, 2c+1 high nibbles
};

// As Q4_K with a fifth bit: bit j of qh[l] is the high bit of element l of sub-block j.
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};

// 16 sub-blocks of 16: x = d * scales[j] * (q - 32), q six bits split over ql (low 4) and qh (2).
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;
};

// Activations for K-quant dots: x = d * q, with bsums[j] the sum of qs[16j .. 16j+15].
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};

// The six-bit scale and min of sub-block j (0-7) of a Q4_K or Q5_K block's packed `scales`.
void k_scale_min(const uint8_t* scales, int j, int* sc, int* m);

// The 256 six-bit values (0..63, q + 32) of a Q6_K block in element order.
void q6_k_values(const BlockQ6_K& x, uint8_t* q);

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

}  // namespace engine
