#include "cpu/ops.h"

#include <algorithm>
#include <cmath>

#include "tensor/fp16.h"
#include "tensor/quants.h"

namespace engine {

void rms_norm(const float* x, const float* weight, float* out, int64_t n_tokens, int64_t n,
              float eps) {
  for (int64_t t = 0; t < n_tokens; ++t) {
    const float* xr = x + t * n;
    float* o = out + t * n;
    double sum = 0.0;  // double, as ggml accumulates it
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(xr[i] * xr[i]);
    const float scale = 1.0f / std::sqrt(static_cast<float>(sum / n) + eps);
    for (int64_t i = 0; i < n; ++i) o[i] = (xr[i] * scale) * weight[i];
  }
}

void rope(float* x, int32_t n_heads, int32_t head_dim, int32_t rope_dim, int32_t pos, float theta) {
  const float theta_scale = std::pow(theta, -2.0f / static_cast<float>(rope_dim));
  for (int32_t h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<size_t>(h) * head_dim;
    float angle = static_cast<float>(pos);
    for (int32_t i = 0; i < rope_dim; i += 2) {
      const float c = std::cos(angle);
      const float s = std::sin(angle);
      const float a = v[i];
      const float b = v[i + 1];
      v[i] = a * c - b * s;
      v[i + 1] = a * s + b * c;
      angle *= theta_scale;
    }
  }
}

void matmul(ThreadPool& pool, const WeightMatrix& w, const float* x, int64_t n_tokens, float* out,
            std::vector<uint8_t>& scratch) {
  const GgmlType act_type = vec_dot_type(w.type);
  const size_t act_stride = row_bytes(act_type, w.cols);
  scratch.resize(act_stride * n_tokens);
  uint8_t* act = scratch.data();
  pool.parallel_for(n_tokens, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) quantize_row(act_type, x + t * w.cols, act + t * act_stride, w.cols);
  });
  // Rows outermost: each weight row is read once and used for every token of the batch.
  pool.parallel_for(w.rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const uint8_t* wr = w.row(r);
      for (int64_t t = 0; t < n_tokens; ++t) {
        out[t * w.rows + r] = vec_dot(w.type, w.cols, wr, act + t * act_stride);
      }
    }
  });
}

void silu_mul(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void attention(const KvCache& cache, int32_t layer, SeqId seq, int32_t pos, int32_t window,
               const float* q, int32_t n_heads, int32_t n_kv_heads, int32_t head_dim, float* out,
               std::vector<float>& scores) {
  const int32_t first = window > 0 ? std::max(0, pos - window + 1) : 0;
  const int32_t n_pos = pos - first + 1;
  const int32_t group = n_heads / n_kv_heads;
  const int32_t bs = cache.block_size();
  const std::vector<int32_t>& table = cache.block_table(seq);
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  scores.resize(n_pos);
  for (int32_t h = 0; h < n_heads; ++h) {
    const int32_t kvh = h / group;
    const float* qh = q + static_cast<size_t>(h) * head_dim;
    float max_score = -INFINITY;
    for (int32_t j = 0; j < n_pos; ++j) {
      const int32_t p = first + j;
      const uint16_t* k = cache.key_slot(layer, table[p / bs], p % bs) + kvh * head_dim;
      float s = 0.0f;
      // The query is rounded to F16 as llama.cpp does before multiplying with its F16 cache.
      for (int32_t d = 0; d < head_dim; ++d) {
        s += fp16_to_fp32(fp32_to_fp16(qh[d])) * fp16_to_fp32(k[d]);
      }
      scores[j] = s * scale;
      max_score = std::max(max_score, scores[j]);
    }
    double sum = 0.0;
    for (int32_t j = 0; j < n_pos; ++j) {
      scores[j] = std::exp(scores[j] - max_score);
      sum += scores[j];
    }
    const float inv = static_cast<float>(1.0 / sum);
    float* oh = out + static_cast<size_t>(h) * head_dim;
    std::fill(oh, oh + head_dim, 0.0f);
    for (int32_t j = 0; j < n_pos; ++j) {
      const int32_t p = first + j;
      const uint16_t* v = cache.value_slot(layer, table[p / bs], p % bs) + kvh * head_dim;
      const float w = fp16_to_fp32(fp32_to_fp16(scores[j] * inv));
      for (int32_t d = 0; d < head_dim; ++d) oh[d] += w * fp16_to_fp32(v[d]);
    }
  }
}

}  // namespace engine
