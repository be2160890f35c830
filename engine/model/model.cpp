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
      pool_(n_threads) {}

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
    rms_norm(&x_[rows[i] * c.dim], weights_.output_norm.data(), &normed[i * c.dim], 1, c.dim,
             c.rms_eps);
  }
  std::vector<float> logits(rows.size() * c.n_vocab);
  matmul(pool_, weights_.output, normed.data(), static_cast<int64_t>(rows.size()), logits.data(),
         act_scratch_);
  return logits;
}

void Model::attention_block(const LayerWeights& L, int32_t layer,
                            std::span<const BatchEntry> batch, KvCache& cache) {
  const ModelConfig& c = config_;
  const int64_t n = static_cast<int64_t>(batch.size());
  q_.resize(n * c.q_dim());
  k_.resize(n * c.kv_dim());
  v_.resize(n * c.kv_dim());
  attn_.resize(n * c.q_dim());

  rms_norm(x_.data(), L.attn_norm.data(), xb_.data(), n, c.dim, c.rms_eps);
  matmul(pool_, L.wq, xb_.data(), n, q_.data(), act_scratch_);
  matmul(pool_, L.wk, xb_.data(), n, k_.data(), act_scratch_);
  matmul(pool_, L.wv, xb_.data(), n, v_.data(), act_scratch_);

  // Rotate and store every entry's key and value first: later entries of the same sequence in this
  // batch attend to them.
  for (int64_t t = 0; t < n; ++t) {
    const BatchEntry& e = batch[t];
    rope(&q_[t * c.q_dim()], c.n_heads, c.head_dim, c.rope_dim, e.pos, c.rope_theta);
    rope(&k_[t * c.kv_dim()], c.n_kv_heads, c.head_dim, c.rope_dim, e.pos, c.rope_theta);
    uint16_t* kc = cache.key(layer, e.seq, e.pos);
    uint16_t* vc = cache.value(layer, e.seq, e.pos);
    for (int32_t i = 0; i < c.kv_dim(); ++i) {
      kc[i] = fp32_to_fp16(k_[t * c.kv_dim() + i]);
      vc[i] = fp32_to_fp16(v_[t * c.kv_dim() + i]);
    }
  }
  pool_.parallel_for(n, [&](int64_t begin, int64_t end) {
    std::vector<float> local;  // attention scores, one buffer per thread
    for (int64_t t = begin; t < end; ++t) {
      const BatchEntry& e = batch[t];
      attention(cache, layer, e.seq, e.pos, c.sliding_window, &q_[t * c.q_dim()], c.n_heads,
                c.n_kv_heads, c.head_dim, &attn_[t * c.q_dim()], local);
    }
  });
  matmul(pool_, L.wo, attn_.data(), n, xb_.data(), act_scratch_);
  for (int64_t i = 0; i < n * c.dim; ++i) x_[i] += xb_[i];
}

void Model::ffn_block(const LayerWeights& L, int64_t n) {
  const ModelConfig& c = config_;
  gate_.resize(n * c.ff_dim);
  up_.resize(n * c.ff_dim);
  rms_norm(x_.data(), L.ffn_norm.data(), xb_.data(), n, c.dim, c.rms_eps);
  matmul(pool_, L.w_gate, xb_.data(), n, gate_.data(), act_scratch_);
  matmul(pool_, L.w_up, xb_.data(), n, up_.data(), act_scratch_);
  silu_mul(gate_.data(), up_.data(), n * c.ff_dim);
  matmul(pool_, L.w_down, gate_.data(), n, xb_.data(), act_scratch_);
  for (int64_t i = 0; i < n * c.dim; ++i) x_[i] += xb_[i];
}

}  // namespace engine
