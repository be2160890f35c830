// Hyperparameters of a Mistral model (GGUF architecture "llama"), read and checked from metadata.
#pragma once

#include <cstdint>
#include <string>

namespace engine {

class GgufFile;

struct ModelConfig {
  std::string name;
  int32_t n_vocab = 0;
  int32_t dim = 0;         // llama.embedding_length
  int32_t n_layers = 0;    // llama.block_count
  int32_t n_heads = 0;     // llama.attention.head_count
  int32_t n_kv_heads = 0;  // llama.attention.head_count_kv (GQA)
  int32_t head_dim = 0;    // dim / n_heads, or llama.attention.key_length
  int32_t ff_dim = 0;      // llama.feed_forward_length
  int32_t rope_dim = 0;    // llama.rope.dimension_count (defaults to head_dim)
  int32_t context_length = 0;
  int32_t sliding_window = 0;  // 0: full causal attention
  float rope_theta = 10000.0f;
  float rms_eps = 1e-5f;

  int32_t kv_dim() const { return n_kv_heads * head_dim; }
  int32_t q_dim() const { return n_heads * head_dim; }

  // Reads and validates; throws std::runtime_error naming the key and the problem.
  static ModelConfig from_gguf(const GgufFile& file);
};

}  // namespace engine
