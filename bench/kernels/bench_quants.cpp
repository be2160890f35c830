// Matrix kernel throughput per weight type and kernel family.
//
//   BM_Dot/<type>/<family>         one 4096-long row by one token, hot in L1: the kernel's
//                                  compute rate for decoding.
//   BM_Gemv/<type>/<family>        4096-long rows over 64 MiB of weights by one token, as decoding
//                                  streams them: the rate against memory (bytes_per_second counts
//                                  weight bytes, what decode speed is made of).
//   BM_Gemm/<type>/<family>/<T>    64 rows by T tokens, hot in cache, as prefill (T 512),
//                                  batched decoding (T 16) and decoding (T 1) run them:
//                                  items_per_second counts multiply-adds.
//   BM_GemmStream/<type>/<family>  64 MiB of weights by 16 tokens, in the chunks the engine's
//                                  matmul hands one thread: batched decoding's rate with the
//                                  weights coming from memory, against BM_Gemm/16.
// Family "groups" is the kernel for matrices rearranged into groups of 16 rows at load
// (interleaved_rows.h), where this CPU has one; the engine uses it in place of the row-wise one.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "cpu/huge_page_buffer.h"
#include "cpu/ops.h"
#include "tensor/ggml_type.h"
#include "tensor/interleaved_rows.h"
#include "tensor/quants.h"

namespace engine {
namespace {

constexpr int64_t kCols = 4096;

std::vector<uint8_t> random_rows(GgmlType t, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  std::vector<uint8_t> q(row_bytes(t, n));
  quantize_row(t, x.data(), q.data(), n);
  return q;
}

// Whole groups of rows over about `bytes` of weights, tiled from one quantized block of rows
// (quantizing tens of MiB of K-quants is slow).
std::vector<uint8_t> streamed_rows(GgmlType t, size_t bytes, int64_t& rows) {
  const size_t stride = row_bytes(t, kCols);
  rows = static_cast<int64_t>(bytes / stride) / kGroupRows * kGroupRows;
  const std::vector<uint8_t> tile = random_rows(t, kCols * 16, 1);
  std::vector<uint8_t> w(stride * rows);
  for (size_t off = 0; off < w.size(); off += tile.size()) {
    std::copy_n(tile.begin(), std::min(tile.size(), w.size() - off), w.begin() + off);
  }
  return w;
}

GemmArgs args(GgmlType t, const std::vector<uint8_t>& w, int64_t rows,
              const std::vector<uint8_t>& a, int64_t tokens, std::vector<float>& out) {
  out.resize(rows * tokens);
  return {.n = kCols,
          .w = w.data(),
          .w_stride = row_bytes(t, kCols),
          .n_rows = rows,
          .act = a.data(),
          .act_stride = row_bytes(vec_dot_type(t), kCols),
          .n_tokens = tokens,
          .out = out.data(),
          .out_stride = rows};
}

// A kernel and the layout it reads: row-wise, or rearranged into groups of 16 rows.
struct Kernel {
  GemmFn f;
  bool grouped;
};

// The weights in the kernel's layout, and GemmArgs pointing at them.
GemmArgs layout(GgmlType t, Kernel k, std::vector<uint8_t>& w, int64_t rows, GemmArgs g) {
  if (!k.grouped) return g;
  const size_t stride = row_bytes(t, kCols);
  std::vector<uint8_t> grouped(group_bytes(t, kCols) * static_cast<size_t>(rows / kGroupRows));
  for (int64_t r = 0; r < rows; r += kGroupRows) {
    interleave_rows(t, &w[r * stride], stride, kCols,
                    &grouped[(r / kGroupRows) * group_bytes(t, kCols)]);
  }
  w = std::move(grouped);
  g.w = w.data();
  g.w_stride = group_bytes(t, kCols);
  return g;
}

// Points g at a copy of its weights w on huge pages, as the engine keeps the weights it streams.
void on_huge_pages(const std::vector<uint8_t>& w, HugePageBuffer& pages, GemmArgs& g) {
  std::copy(w.begin(), w.end(), pages.data());
  g.w = pages.data();
}

void bm_dot(benchmark::State& state, GgmlType t, GemmFn f) {
  const std::vector<uint8_t> w = random_rows(t, kCols, 1);
  const std::vector<uint8_t> a = random_rows(vec_dot_type(t), kCols, 2);
  std::vector<float> out;
  const GemmArgs g = args(t, w, 1, a, 1, out);
  for (auto _ : state) {
    f(g);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.size()));
}

void bm_gemv(benchmark::State& state, GgmlType t, Kernel k) {
  // Whole groups of rows, so every layout multiplies the same rows.
  int64_t rows = 0;
  std::vector<uint8_t> w = streamed_rows(t, 64u << 20, rows);
  const size_t stride = row_bytes(t, kCols);
  const std::vector<uint8_t> a = random_rows(vec_dot_type(t), kCols, 2);
  std::vector<float> out;
  GemmArgs g = layout(t, k, w, rows, args(t, w, rows, a, 1, out));
  HugePageBuffer pages(w.size(), "the weights");
  on_huge_pages(w, pages, g);
  for (auto _ : state) {
    k.f(g);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * rows * static_cast<int64_t>(stride));
}

void bm_gemm_stream(benchmark::State& state, GgmlType t, Kernel k) {
  const int64_t tokens = 16;
  int64_t rows = 0;
  std::vector<uint8_t> w = streamed_rows(t, 64u << 20, rows);
  const std::vector<uint8_t> a = random_rows(vec_dot_type(t), kCols * tokens, 2);
  std::vector<float> out;
  GemmArgs g = layout(t, k, w, rows, args(t, w, rows, a, tokens, out));
  HugePageBuffer pages(w.size(), "the weights");
  on_huge_pages(w, pages, g);
  // Whole groups of rows in each chunk, for either layout.
  const size_t unit_bytes = k.grouped ? g.w_stride : g.w_stride * kGroupRows;
  const int64_t chunk = matmul_chunk(rows / kGroupRows, unit_bytes, k.grouped, tokens, 1);
  for (auto _ : state) {
    for (int64_t u = 0; u < rows / kGroupRows; u += chunk) {
      GemmArgs part = g;
      part.w += u * unit_bytes;
      part.n_rows = std::min(chunk, rows / kGroupRows - u) * kGroupRows;
      part.out += u * kGroupRows;
      k.f(part);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * rows * tokens * kCols);
}

void bm_gemm(benchmark::State& state, GgmlType t, Kernel k) {
  const int64_t rows = 64;
  const int64_t tokens = state.range(0);
  std::vector<uint8_t> w = random_rows(t, kCols * rows, 1);
  const std::vector<uint8_t> a = random_rows(vec_dot_type(t), kCols * tokens, 2);
  std::vector<float> out;
  const GemmArgs g = layout(t, k, w, rows, args(t, w, rows, a, tokens, out));
  for (auto _ : state) {
    k.f(g);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * rows * tokens * kCols);
}

const bool kRegistered = [] {
  const GgmlType types[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::Q8_0, GgmlType::Q4_0,
                            GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};
  for (GgmlType t : types) {
    const std::string name(type_info(t).name);
    for (const char* family : {"scalar", "avx2", "avx512", "groups"}) {
      const bool grouped = std::string(family) == "groups";
      const Kernel k{grouped ? group_kernel(t) : gemm_kernel(t, family), grouped};
      if (!k.f) continue;  // the family has no kernel for it, or this CPU lacks the ISA
      const std::string suffix = name + "/" + family;
      if (!grouped) benchmark::RegisterBenchmark(("BM_Dot/" + suffix).c_str(), bm_dot, t, k.f);
      benchmark::RegisterBenchmark(("BM_Gemv/" + suffix).c_str(), bm_gemv, t, k)
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("BM_Gemm/" + suffix).c_str(), bm_gemm, t, k)
          ->Arg(1)
          ->Arg(16)
          ->Arg(512)
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("BM_GemmStream/" + suffix).c_str(), bm_gemm_stream, t, k)
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace engine
