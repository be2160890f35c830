#include "model/model.h"

#include <stdexcept>

#include "cpu/ops.h"
#include "tensor/quants.h"

namespace engine {

Model::Model(const std::string& path, int n_threads, const DeviceChoice& device)
    : file_(GgufFile::open(path)),
      config_(ModelConfig::from_gguf(file_)),
      weights_(ModelWeights::from_gguf(file_, config_)),
      n_threads_(n_threads),
      backend_(make_backend(device, config_, weights_, n_threads)) {}

KvCache Model::new_kv_cache(int32_t n_blocks, int32_t block_size) {
  KvCache::check_shape(n_blocks, block_size);
  return KvCache(n_blocks, block_size, backend_->new_kv_storage(n_blocks, block_size));
}

std::vector<float> Model::forward(std::span<const BatchEntry> batch, KvCache& cache) {
  if (cache.storage() == nullptr) {
    throw std::invalid_argument("the KV cache has no storage (make it with Model::new_kv_cache)");
  }
  const ModelConfig& c = config_;
  const auto n = static_cast<int64_t>(batch.size());
  embeddings_.resize(n * c.dim);
  angles_.resize(n * c.rope_dim);
  for (int64_t t = 0; t < n; ++t) {
    const TokenId tok = batch[t].token;
    if (tok < 0 || tok >= c.n_vocab) {
      throw std::out_of_range("token id " + std::to_string(tok) + " is outside the vocabulary");
    }
    if (batch[t].pos < 0 || batch[t].pos >= cache.capacity(batch[t].seq)) {
      throw std::out_of_range("position " + std::to_string(batch[t].pos) +
                              " has no KV cache room in sequence " + std::to_string(batch[t].seq));
    }
    dequantize_row(weights_.token_embd.type, weights_.token_embd.row(tok), &embeddings_[t * c.dim],
                   c.dim);
    rope_angles(c.rope_dim, batch[t].pos, c.rope_theta, &angles_[t * c.rope_dim]);
  }

  backend_->begin({batch, cache, embeddings_.data(), angles_.data()});
  for (int32_t l = 0; l < c.n_layers; ++l) {
    attention_block(weights_.layers[l], l);
    ffn_block(weights_.layers[l]);
  }
  std::vector<int64_t> rows;
  for (int64_t t = 0; t < n; ++t) {
    if (batch[t].want_logits) rows.push_back(t);
  }
  return backend_->logits(weights_.output_norm, weights_.output, rows);
}

void Model::attention_block(const LayerWeights& L, int32_t layer) {
  Backend& b = *backend_;
  b.rms_norm(Act::x, L.attn_norm, Act::xb);
  b.matmul(L.wq, Act::xb, Act::q);
  b.matmul(L.wk, Act::xb, Act::k);
  b.matmul(L.wv, Act::xb, Act::v);
  // Every entry's key and value are stored before any attends: later entries of the same
  // sequence in this batch attend to them.
  b.rope_and_store_kv(layer);
  b.attention(layer);
  b.matmul(L.wo, Act::attn, Act::xb);
  b.add_to_x(Act::xb);
}

void Model::ffn_block(const LayerWeights& L) {
  Backend& b = *backend_;
  b.rms_norm(Act::x, L.ffn_norm, Act::xb);
  b.matmul(L.w_gate, Act::xb, Act::gate);
  b.matmul(L.w_up, Act::xb, Act::up);
  b.silu_mul();
  b.matmul(L.w_down, Act::gate, Act::xb);
  b.add_to_x(Act::xb);
}

}  // namespace engine
