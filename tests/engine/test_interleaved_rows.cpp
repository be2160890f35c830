// Matrices rearranged into groups of 16 rows: the group kernels against the row-wise reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "tensor/fp16.h"
#include "tensor/interleaved_rows.h"
#include "tensor/quants.h"

namespace engine {
namespace {

std::vector<uint8_t> quantized_gaussian(GgmlType t, int64_t n, uint32_t seed, float sigma) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  std::vector<uint8_t> q(row_bytes(t, n));
  quantize_row(t, x.data(), q.data(), n);
  return q;
}

// Sum of |w_i * a_i|: the scale of a dot product's rounding error.
double magnitude(GgmlType t, const uint8_t* w, const uint8_t* a, int64_t n) {
  std::vector<float> wf(n), af(n);
  dequantize_row(t, w, wf.data(), n);
  dequantize_row(vec_dot_type(t), a, af.data(), n);
  double mag = 0.0;
  for (int64_t i = 0; i < n; ++i) mag += std::fabs(static_cast<double>(wf[i]) * af[i]);
  return mag;
}

struct Matrix {
  int64_t rows, n;
  size_t row_stride;
  std::vector<uint8_t> row_wise;
  std::vector<uint8_t> grouped;
  size_t group_stride;
};

Matrix make_matrix(GgmlType t, int64_t rows, int64_t n, std::vector<uint8_t> row_wise) {
  Matrix m{rows, n, row_bytes(t, n), std::move(row_wise), {}, group_bytes(t, n)};
  m.grouped.resize(m.group_stride * static_cast<size_t>(rows / kGroupRows));
  for (int64_t g = 0; g < rows / kGroupRows; ++g) {
    interleave_rows(t, &m.row_wise[g * kGroupRows * m.row_stride], m.row_stride, n,
                    &m.grouped[g * m.group_stride]);
  }
  return m;
}

// Runs gemm_groups over groups [g0, g0 + n_groups) into an output padded on both sides, checks
// nothing outside the block is written, and returns out[t][r] for the block's rows.
std::vector<std::vector<float>> run_groups(GgmlType t, const Matrix& m, int64_t g0,
                                           int64_t n_groups, const std::vector<uint8_t>& act,
                                           int64_t tokens) {
  const size_t as = row_bytes(vec_dot_type(t), m.n);
  const int64_t rows = n_groups * kGroupRows;
  const int64_t pad = 5, out_stride = rows + 2 * pad;
  std::vector<float> out(out_stride * tokens, -12345.0f);
  gemm_groups(t, {.n = m.n,
                  .w = &m.grouped[g0 * m.group_stride],
                  .w_stride = m.group_stride,
                  .n_rows = rows,
                  .act = act.data(),
                  .act_stride = as,
                  .n_tokens = tokens,
                  .out = out.data() + pad,
                  .out_stride = out_stride});
  std::vector<std::vector<float>> got(tokens, std::vector<float>(rows));
  for (int64_t k = 0; k < tokens; ++k) {
    for (int64_t r = 0; r < out_stride; ++r) {
      const float v = out[k * out_stride + r];
      if (r < pad || r >= pad + rows) {
        EXPECT_EQ(v, -12345.0f) << "wrote outside the block";
      } else {
        got[k][r - pad] = v;
      }
    }
  }
  return got;
}

// Every (row, token) within rounding of the row-wise reference, and bit for bit what the same
// row and token give alone, for every tile size and a block that starts past the first group.
void check_against_reference(GgmlType t, const Matrix& m, const std::vector<uint8_t>& act,
                             int64_t tokens) {
  const size_t as = row_bytes(vec_dot_type(t), m.n);
  const int64_t g0 = m.rows / kGroupRows > 1 ? 1 : 0;
  const int64_t n_groups = m.rows / kGroupRows - g0;
  const auto got = run_groups(t, m, g0, n_groups, act, tokens);
  for (int64_t k = 0; k < tokens; ++k) {
    const std::vector<uint8_t> alone(act.begin() + k * as, act.begin() + (k + 1) * as);
    const auto single = run_groups(t, m, g0, n_groups, alone, 1);
    for (int64_t r = 0; r < n_groups * kGroupRows; ++r) {
      const uint8_t* w = &m.row_wise[(g0 * kGroupRows + r) * m.row_stride];
      const uint8_t* a = &act[k * as];
      EXPECT_EQ(got[k][r], single[0][r]) << "row " << r << " token " << k << " of " << tokens;
      EXPECT_NEAR(got[k][r], vec_dot_reference(t, m.n, w, a), 2e-6 * magnitude(t, w, a, m.n))
          << "row " << r << " token " << k << " of " << tokens;
    }
  }
}

// Every type with a grouped layout, where this CPU has its kernel.
std::vector<GgmlType> grouped_types() {
  std::vector<GgmlType> out;
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    if (group_kernel(t) != nullptr) out.push_back(t);
  }
  return out;
}

TEST(GroupKernels, MatchReferenceForEveryTileSize) {
  if (grouped_types().empty()) GTEST_SKIP() << "this CPU has no group kernel";
  for (GgmlType t : grouped_types()) {
    SCOPED_TRACE(type_info(t).name);
    // Three super-blocks, or seven 32-element blocks.
    const int64_t n = type_info(t).block_size == kQK_K ? 3 * kQK_K : 7 * kQK8_0;
    const int64_t rows = 3 * kGroupRows;
    std::vector<uint8_t> w;
    for (int64_t r = 0; r < rows; ++r) {
      const auto q = quantized_gaussian(t, n, 100 + static_cast<uint32_t>(r), 1.0f);
      w.insert(w.end(), q.begin(), q.end());
    }
    const Matrix m = make_matrix(t, rows, n, std::move(w));
    // Tiles of 1 to 4 tokens and of 8 (13 is 8 + 4 + 1); past 16 tokens, the kernels take them in
    // several passes over the weights.
    for (int64_t tokens : {1, 2, 3, 4, 5, 8, 9, 13, 16, 17, 37}) {
      std::vector<uint8_t> act;
      for (int64_t k = 0; k < tokens; ++k) {
        const auto q = quantized_gaussian(vec_dot_type(t), n, 500 + static_cast<uint32_t>(k), 3.0f);
        act.insert(act.end(), q.begin(), q.end());
      }
      check_against_reference(t, m, act, tokens);
    }
  }
}

TEST(GroupKernels, MatchReferenceOnRandomBits) {
  if (grouped_types().empty()) GTEST_SKIP() << "this CPU has no group kernel";
  // Raw random bytes reach every scale code and every quant value; only the fp16 scales are
  // tamed to stay finite.
  std::mt19937 rng(7);
  for (GgmlType t : grouped_types()) {
    SCOPED_TRACE(type_info(t).name);
    const int64_t n = 5 * kQK_K, rows = 2 * kGroupRows;
    std::vector<uint8_t> w(row_bytes(t, n) * rows);
    for (uint8_t& b : w) b = static_cast<uint8_t>(rng());
    const size_t bb = type_info(t).block_bytes;
    const uint16_t small = fp32_to_fp16(0.01f);
    for (size_t off = 0; off < w.size(); off += bb) {
      // d (and the K-quants' dmin) open every block but Q6_K's, where d is last.
      std::memcpy(&w[t == GgmlType::Q6_K ? off + bb - 2 : off], &small, 2);
      if (t == GgmlType::Q4_K || t == GgmlType::Q5_K) std::memcpy(&w[off + 2], &small, 2);
    }
    const Matrix m = make_matrix(t, rows, n, std::move(w));
    // Activations at the ends of int8's range: the largest products the integer sums must hold.
    const GgmlType at = vec_dot_type(t);
    std::vector<uint8_t> act = quantized_gaussian(at, n, 8, 2.0f);
    std::vector<float> extreme(n);
    for (int64_t i = 0; i < n; ++i) extreme[i] = i % 3 == 0 ? 1.0f : -1.0f;
    std::vector<uint8_t> q(row_bytes(at, n));
    quantize_row(at, extreme.data(), q.data(), n);
    act.insert(act.end(), q.begin(), q.end());
    // Eight more tokens of extremes, for a wide tile of the kernels.
    for (int k = 0; k < 8; ++k) act.insert(act.end(), q.begin(), q.end());
    check_against_reference(t, m, act, 10);
  }
}

TEST(GroupLayout, RejectsWhatItCannotGroup) {
  std::vector<uint8_t> rows(row_bytes(GgmlType::Q4_0, 256) * kGroupRows);
  std::vector<uint8_t> group(sizeof(BlockQ4_Kx16));
  EXPECT_THROW(interleave_rows(GgmlType::Q4_0, rows.data(), row_bytes(GgmlType::Q4_0, 256), 256,
                               group.data()),
               std::invalid_argument);
  EXPECT_THROW(group_bytes(GgmlType::F32, 256), std::invalid_argument);
  EXPECT_THROW(interleave_rows(GgmlType::Q4_K, rows.data(), 0, 100, group.data()),
               std::invalid_argument);
  EXPECT_THROW(group_bytes(GgmlType::Q8_0, 48), std::invalid_argument);
  EXPECT_EQ(group_kernel(GgmlType::Q4_0), nullptr);
  EXPECT_EQ(group_kernel(GgmlType::F16), nullptr);
}

}  // namespace
}  // namespace engine
