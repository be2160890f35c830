#include "cpu/ops.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "tensor/f16_vec.h"
#include "tensor/interleaved_rows.h"
#include "tensor/quants.h"

namespace engine {

void rms_norm(const float* x, const float* weight, float* out, int64_t n_tokens, int64_t n,
              float eps) {
  for (int64_t t = 0; t < n_tokens; ++t) {
    const float* xr = x + t * n;
    float* o = out + t * n;
    // In double, as ggml accumulates it; in 8 running sums rather than one chain of n dependent
    // adds, which took three times as long. A row's sum never depends on the batch.
    double part[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      for (int k = 0; k < 8; ++k) part[k] += static_cast<double>(xr[i + k] * xr[i + k]);
    }
    for (; i < n; ++i) part[0] += static_cast<double>(xr[i] * xr[i]);
    double sum = 0.0;
    for (double p : part) sum += p;
    const float scale = 1.0f / std::sqrt(static_cast<float>(sum / n) + eps);
    for (int64_t i = 0; i < n; ++i) o[i] = (xr[i] * scale) * weight[i];
  }
}

void rope_angles(int32_t rope_dim, int32_t pos, float theta, float* cos_sin) {
  const float theta_scale = std::pow(theta, -2.0f / static_cast<float>(rope_dim));
  float angle = static_cast<float>(pos);
  for (int32_t i = 0; i < rope_dim; i += 2) {
    cos_sin[i] = std::cos(angle);
    cos_sin[i + 1] = std::sin(angle);
    angle *= theta_scale;
  }
}

void rope(float* x, int32_t n_heads, int32_t head_dim, int32_t rope_dim, const float* cos_sin) {
  for (int32_t h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<size_t>(h) * head_dim;
    for (int32_t i = 0; i < rope_dim; i += 2) {
      const float c = cos_sin[i];
      const float s = cos_sin[i + 1];
      const float a = v[i];
      const float b = v[i + 1];
      v[i] = a * c - b * s;
      v[i + 1] = a * s + b * c;
    }
  }
}

void MatmulInput::set(const float* x, int64_t n_tokens, int64_t cols) {
  x_ = x;
  n_tokens_ = n_tokens;
  cols_ = cols;
  for (Converted& c : converted_) c.current = false;
}

const uint8_t* MatmulInput::rows(ThreadPool& pool, GgmlType type) {
  if (type == GgmlType::F32) return reinterpret_cast<const uint8_t*>(x_);
  auto it = std::find_if(converted_.begin(), converted_.end(),
                         [&](const Converted& c) { return c.type == type; });
  if (it == converted_.end()) it = converted_.insert(converted_.end(), Converted{type, false, {}});
  if (!it->current) {
    const size_t stride = row_bytes(type, cols_);
    it->bytes.resize(stride * n_tokens_);
    uint8_t* out = it->bytes.data();
    pool.parallel_for(n_tokens_, [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        quantize_row(type, x_ + t * cols_, out + t * stride, cols_);
      }
    });
    it->current = true;
  }
  return it->bytes.data();
}

int64_t matmul_chunk(int64_t units, size_t unit_bytes, bool grouped, int64_t n_tokens,
                     int64_t threads) {
  // Several chunks per thread, so a thread slowed by a neighbour takes fewer. A chunk multiplies
  // its rows by every token, a few tokens at a time (4 row-wise, kGroupPassTokens grouped), so
  // with more tokens its rows are read again for each few: keep them few enough to stay in L2
  // (256 KiB).
  const int64_t chunk = std::max<int64_t>(1, units / (8 * threads));
  if (n_tokens <= (grouped ? kGroupPassTokens : 4)) return chunk;
  return std::min(chunk,
                  std::max<int64_t>(1, (int64_t{256} << 10) / static_cast<int64_t>(unit_bytes)));
}

void matmul(ThreadPool& pool, const WeightMatrix& w, MatmulInput& input, float* out) {
  if (input.cols() != w.cols) {
    throw std::invalid_argument(w.name + ": input rows have " + std::to_string(input.cols()) +
                                " elements, the matrix " + std::to_string(w.cols));
  }
  const GgmlType act_type = vec_dot_type(w.type);
  const uint8_t* act = input.rows(pool, act_type);
  const size_t act_stride = row_bytes(act_type, w.cols);
  // Grouped matrices are split in whole groups.
  const int64_t unit = w.group_stride ? kGroupRows : 1;
  const size_t unit_bytes = w.group_stride ? w.group_stride : w.row_stride;
  const int64_t units = w.rows / unit;
  const int64_t grain =
      matmul_chunk(units, unit_bytes, w.group_stride != 0, input.n_tokens(), pool.size());
  pool.parallel_for(units, grain, [&](int64_t begin, int64_t end) {
    const GemmArgs args{.n = w.cols,
                        .w = w.data + static_cast<size_t>(begin) * unit_bytes,
                        .w_stride = unit_bytes,
                        .n_rows = (end - begin) * unit,
                        .act = act,
                        .act_stride = act_stride,
                        .n_tokens = input.n_tokens(),
                        .out = out + begin * unit,
                        .out_stride = w.rows};
    if (w.group_stride) {
      gemm_groups(w.type, args);
    } else {
      gemm(w.type, args);
    }
  });
}

// Value rows asked for before the keys are read.
constexpr int32_t kValuesAhead = 16;

void attention(const CpuKvStorage& kv, std::span<const int32_t> table, int32_t layer, int32_t pos,
               int32_t window, const float* q, int32_t n_q, int32_t kv_head, int32_t head_dim,
               float* out, AttentionScratch& scratch) {
  const int32_t first = window > 0 ? std::max(0, pos - window + 1) : 0;
  const int32_t n_pos = pos - first + 1;
  const int32_t bs = kv.block_size();
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  // Head g's scores (then softmax weights) are row g of n_pos; its F16-rounded query follows.
  scratch.floats.resize(static_cast<size_t>(n_q) * (n_pos + head_dim));
  float* scores = scratch.floats.data();
  float* q16 = scores + static_cast<size_t>(n_q) * n_pos;
  std::copy(q, q + static_cast<size_t>(n_q) * head_dim, q16);
  round_to_f16(q16, static_cast<int64_t>(n_q) * head_dim);
  std::vector<const uint16_t*>& keys = scratch.keys;
  std::vector<const uint16_t*>& values = scratch.values;
  keys.resize(n_pos);
  values.resize(n_pos);
  for (int32_t j = 0; j < n_pos; ++j) {
    const int32_t p = first + j;
    keys[j] = kv.key(layer, table[p / bs], p % bs, kv_head);
    values[j] = kv.value(layer, table[p / bs], p % bs, kv_head);
  }
  // The first values are asked for now, so that they come from memory while the keys are read
  // (axpy_f16_rows asks for the rest ahead of itself): a 16-sequence step ran 1-1.5% faster.
  for (int32_t j = 0; j < std::min(n_pos, kValuesAhead); ++j) {
    const char* row = reinterpret_cast<const char*>(values[j]);
    for (int32_t b = 0; b < head_dim * 2; b += 64) __builtin_prefetch(row + b);
  }
  dot_f16_rows(head_dim, keys.data(), n_pos, q16, head_dim, n_q, scores, n_pos);
  for (int32_t g = 0; g < n_q; ++g) {
    float* row = scores + static_cast<size_t>(g) * n_pos;
    float max_score = -INFINITY;
    for (int32_t j = 0; j < n_pos; ++j) {
      row[j] *= scale;
      max_score = std::max(max_score, row[j]);
    }
    double sum = 0.0;
    for (int32_t j = 0; j < n_pos; ++j) {
      row[j] = std::exp(row[j] - max_score);
      sum += row[j];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int32_t j = 0; j < n_pos; ++j) row[j] *= inv;
    round_to_f16(row, n_pos);
  }
  std::fill(out, out + static_cast<size_t>(n_q) * head_dim, 0.0f);
  axpy_f16_rows(head_dim, scores, n_pos, values.data(), n_pos, out, head_dim, n_q);
}

}  // namespace engine
