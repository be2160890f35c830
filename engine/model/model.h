// The Mistral transformer: weights mapped from a GGUF file and a forward pass over a batch of
// (sequence, position, token) entries, so prompts and decode steps of many sequences share a pass.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "gguf/gguf_file.h"
#include "model/kv_cache.h"
#include "model/model_config.h"
#include "model/weights.h"
#include "tokenizer/vocabulary.h"

namespace engine {

struct BatchEntry {
  SeqId seq = 0;
  int32_t pos = 0;
  TokenId token = 0;
  bool want_logits = false;
};

class Model {
 public:
  // Maps and validates the file; throws std::runtime_error (GgufError for format problems).
  Model(const std::string& path, int n_threads);

  const GgufFile& file() const { return file_; }
  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  int threads() const { return pool_.size(); }

  // Runs one step. Every entry's sequence must have KV room for its position (KvCache::reserve);
  // entries of one sequence must come in increasing position order. Returns n_vocab logits for
  // each entry with want_logits, in entry order.
  std::vector<float> forward(std::span<const BatchEntry> batch, KvCache& cache);

 private:
  void attention_block(const LayerWeights& L, int32_t layer, std::span<const BatchEntry> batch,
                       KvCache& cache);
  void ffn_block(const LayerWeights& L, int64_t n);
  // rms_norm of n rows of dim elements, the rows spread over the threads.
  void norm_rows(const float* x, const std::vector<float>& weight, float* out, int64_t n);

  GgufFile file_;
  ModelConfig config_;
  ModelWeights weights_;
  ThreadPool pool_;

  // Activations for the current batch, reused across steps.
  std::vector<float> x_, xb_, q_, k_, v_, attn_, gate_, up_;
  std::vector<float> angles_;  // rope_angles of each entry's position
  MatmulInput input_;
};

}  // namespace engine
