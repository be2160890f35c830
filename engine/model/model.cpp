#include "model/model.h"

#include <algorithm>
#include <stdexcept>

#include "cpu/ops.h"
#include "tensor/fp16.h"
#include "tensor/quants.h"

namespace engine {

Model::Model(const std::string& path, int n_threads)
    : file_(GgufFile::open(path)),
      config_(ModelConfig::from_gguf(file_)),
      weights_(ModelWeights::from_gguf(file_, config_)),
      pool_(n_threads) {
  weights_.load_into_memory(pool_);
}

std::vector<float> Model::forward(std::span<const BatchEntry> batch, KvCache& cache) {
  const ModelConfig& c = config_;
  const int64_t n = static_cast<int64_t>(batch.size());
  x_.resize(n * c.dim);
  xb_.resize(n * std::max(c.dim, c.q_dim()));

  for (int64_t t = 0; t < n; ++t) {
    const TokenId tok = batch[t].token;
    if (tok < 0 || tok >= c.n_vocab) {
      throw std::out_of_range("token id " + std::to_string(tok) + " is outside the vocabulary");
    }
    if (batch[t].pos < 0 || batch[t].pos >= cache.capacity(batch[t].seq)) {
      throw std::out_of_range("position " + std::to_string(batch[t].pos) +
                              " has no KV cache room in sequence " + std::to_string(batch[t].seq));
    }
    dequantize_row(weights_.token_embd.type, weights_.token_embd.row(tok), &x_[t * c.dim], c.dim);
  }
  angles_.resize(n * c.rope_dim);
  for (int64_t t = 0; t < n; ++t) {
    rope_angles(c.rope_dim, batch[t].pos, c.rope_theta, &angles_[t * c.rope_dim]);
  }

  for (int32_t l = 0; l < c.n_layers; ++l) {
    const LayerWeights& L = weights_.layers[l];
    attention_block(L, l, batch, cache);
    ffn_block(L, n);
  }

  std::vector<int64_t> rows;
  for (int64_t t = 0; t < n; ++t) {
    if (batch[t].want_logits) rows.push_back(t);
  }
  std::vector<float> normed(rows.size() * c.dim);
  for (size_t i = 0; i < rows.size(); ++i) {
    norm_rows(&x_[rows[i] * c.dim], weights_.output_norm, &normed[i * c.dim], 1);
  }
  std::vector<float> logits(rows.size() * c.n_vocab);
  input_.set(normed.data(), static_cast<int64_t>(rows.size()), c.dim);
  matmul(pool_, weights_.output, input_, logits.data());
  return logits;
}

void Model::attention_block(const LayerWeights& L, int32_t layer, std::span<const BatchEntry> batch,
                            KvCache& cache) {
  const ModelConfig& c = config_;
  const int64_t n = static_cast<int64_t>(batch.size());
  q_.resize(n * c.q_dim());
  k_.resize(n * c.kv_dim());
  v_.resize(n * c.kv_dim());
  attn_.resize(n * c.q_dim());

  norm_rows(x_.data(), L.attn_norm, xb_.data(), n);
  input_.set(xb_.data(), n, c.dim);
  matmul(pool_, L.wq, input_, q_.data());
  matmul(pool_, L.wk, input_, k_.data());
  matmul(pool_, L.wv, input_, v_.data());

  // Rotate and store every entry's key and value first: later entries of the same sequence in this
  // batch attend to them.
  pool_.parallel_for(n, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const BatchEntry& e = batch[t];
      const float* angles = &angles_[t * c.rope_dim];
      rope(&q_[t * c.q_dim()], c.n_heads, c.head_dim, c.rope_dim, angles);
      rope(&k_[t * c.kv_dim()], c.n_kv_heads, c.head_dim, c.rope_dim, angles);
      uint16_t* kc = cache.key(layer, e.seq, e.pos);
      uint16_t* vc = cache.value(layer, e.seq, e.pos);
      for (int32_t i = 0; i < c.kv_dim(); ++i) {
        kc[i] = fp32_to_fp16(k_[t * c.kv_dim() + i]);
        vc[i] = fp32_to_fp16(v_[t * c.kv_dim() + i]);
      }
    }
  });
  // One task per (entry, KV head) with the query heads that share it: a decode step's single
  // entry still spreads over every thread.
  const int32_t group = c.n_heads / c.n_kv_heads;
  pool_.parallel_for(n * c.n_kv_heads, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch;
    for (int64_t i = begin; i < end; ++i) {
      const int64_t t = i / c.n_kv_heads;
      const int32_t kv_head = static_cast<int32_t>(i % c.n_kv_heads);
      const BatchEntry& e = batch[t];
      const size_t at =
          static_cast<size_t>(t) * c.q_dim() + static_cast<size_t>(kv_head) * group * c.head_dim;
      attention(cache, layer, e.seq, e.pos, c.sliding_window, &q_[at], group, kv_head, c.head_dim,
                &attn_[at], scratch);
    }
  });
  input_.set(attn_.data(), n, c.q_dim());
  matmul(pool_, L.wo, input_, xb_.data());
  for (int64_t i = 0; i < n * c.dim; ++i) x_[i] += xb_[i];
}

void Model::norm_rows(const float* x, const std::vector<float>& weight, float* out, int64_t n) {
  const int64_t dim = config_.dim;
  pool_.parallel_for(n, [&](int64_t begin, int64_t end) {
    rms_norm(x + begin * dim, weight.data(), out + begin * dim, end - begin, dim, config_.rms_eps);
  });
}

void Model::ffn_block(const LayerWeights& L, int64_t n) {
  const ModelConfig& c = config_;
  gate_.resize(n * c.ff_dim);
  up_.resize(n * c.ff_dim);
  norm_rows(x_.data(), L.ffn_norm, xb_.data(), n);
  input_.set(xb_.data(), n, c.dim);
  matmul(pool_, L.w_gate, input_, gate_.data());
  matmul(pool_, L.w_up, input_, up_.data());
  pool_.parallel_for(n * c.ff_dim, [&](int64_t begin, int64_t end) {
    silu_mul(&gate_[begin], &up_[begin], end - begin);
  });
  input_.set(gate_.data(), n, c.ff_dim);
  matmul(pool_, L.w_down, input_, xb_.data());
  for (int64_t i = 0; i < n * c.dim; ++i) x_[i] += xb_[i];
}

}  // namespace engine
