// The Mistral transformer: weights mapped from a GGUF file and a forward pass over a batch of
// (sequence, position, token) entries, so prompts and decode steps of many sequences share a pass.
// The pass runs on a backend (backend/backend.h): the CPU or a Vulkan device.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "gguf/gguf_file.h"
#include "model/kv_cache.h"
#include "model/model_config.h"
#include "model/weights.h"

namespace engine {

class Model {
 public:
  // Maps and validates the file and readies the backend; throws std::runtime_error (GgufError for
  // format problems, vulkan::VulkanError for an unusable device).
  Model(const std::string& path, int n_threads, const DeviceChoice& device = {});

  const GgufFile& file() const { return file_; }
  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const Backend& backend() const { return *backend_; }
  int threads() const { return n_threads_; }

  // A cache of n_blocks blocks whose keys and values live with this model's backend.
  KvCache new_kv_cache(int32_t n_blocks, int32_t block_size = 16);

  // Runs one step. Every entry's sequence must have KV room for its position (KvCache::reserve);
  // entries of one sequence must come in increasing position order. Returns n_vocab logits for
  // each entry with want_logits, in entry order.
  std::vector<float> forward(std::span<const BatchEntry> batch, KvCache& cache);

 private:
  void attention_block(const LayerWeights& L, int32_t layer);
  void ffn_block(const LayerWeights& L);

  GgufFile file_;
  ModelConfig config_;
  ModelWeights weights_;
  int n_threads_;
  std::unique_ptr<Backend> backend_;

  std::vector<float> embeddings_;  // the step's embedding rows
  std::vector<float> angles_;      // rope_angles of each entry's position
};

}  // namespace engine
