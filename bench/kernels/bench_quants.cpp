// vec_dot throughput per weight type and kernel family.
//
//   BM_VecDot/<type>/<family>       one 4096-long row, hot in L1: the kernel's compute rate.
//   BM_VecDotRows/<type>/<family>   4096-long rows over 64 MiB of weights, as a matrix-vector
//                                   product streams them: the rate against memory.
// bytes_per_second counts weight bytes only: a matrix-vector product reads each weight row once
// while its one activation row stays in cache, so weight bytes are what decode speed is made of.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tensor/ggml_type.h"
#include "tensor/quants.h"

namespace engine {
namespace {

constexpr int64_t kCols = 4096;

std::vector<uint8_t> random_row(GgmlType t, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  std::vector<uint8_t> q(row_bytes(t, n));
  quantize_row(t, x.data(), q.data(), n);
  return q;
}

void bm_row(benchmark::State& state, GgmlType t, VecDotFn f) {
  const std::vector<uint8_t> w = random_row(t, kCols, 1);
  const std::vector<uint8_t> a = random_row(vec_dot_type(t), kCols, 2);
  for (auto _ : state) {
    benchmark::DoNotOptimize(f(kCols, w.data(), a.data()));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.size()));
}

void bm_rows(benchmark::State& state, GgmlType t, VecDotFn f) {
  const size_t stride = row_bytes(t, kCols);
  const int64_t rows = static_cast<int64_t>((64u << 20) / stride);
  // Quantizing 64 MiB of K-quants is slow: tile one quantized block of rows instead.
  const std::vector<uint8_t> tile = random_row(t, kCols * 16, 1);
  std::vector<uint8_t> w(stride * rows);
  for (size_t off = 0; off < w.size(); off += tile.size()) {
    std::copy_n(tile.begin(), std::min(tile.size(), w.size() - off), w.begin() + off);
  }
  const std::vector<uint8_t> a = random_row(vec_dot_type(t), kCols, 2);
  for (auto _ : state) {
    float sum = 0.0f;
    for (int64_t r = 0; r < rows; ++r) sum += f(kCols, w.data() + r * stride, a.data());
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * rows * static_cast<int64_t>(stride));
}

const bool kRegistered = [] {
  const GgmlType types[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::Q8_0, GgmlType::Q4_0,
                            GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};
  for (GgmlType t : types) {
    const std::string name(type_info(t).name);
    for (const char* family : {"scalar", "avx2", "avx512"}) {
      const VecDotFn f = vec_dot_kernel(t, family);
      if (!f) continue;  // the family has no kernel for it, or this CPU lacks the ISA
      benchmark::RegisterBenchmark(("BM_VecDot/" + name + "/" + family).c_str(), bm_row, t, f);
      benchmark::RegisterBenchmark(("BM_VecDotRows/" + name + "/" + family).c_str(), bm_rows, t, f)
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace engine
