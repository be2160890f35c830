// A KV cache's keys and values in host memory, for the CPU backend: F16, laid out
// [layer][block][slot][kv_dim] for keys and values each.
#pragma once

#include <cstdint>
#include <vector>

#include "model/kv_cache.h"
#include "model/model_config.h"

namespace engine {

class CpuKvStorage final : public KvStorage {
 public:
  CpuKvStorage(const ModelConfig& config, int32_t n_blocks, int32_t block_size)
      : kv_dim_(config.kv_dim()),
        n_blocks_(n_blocks),
        block_size_(block_size),
        keys_(static_cast<size_t>(config.n_layers) * n_blocks * block_size * kv_dim_),
        values_(keys_.size()) {}

  int32_t block_size() const { return block_size_; }
  uint16_t* key(int32_t layer, int32_t block, int32_t slot) {
    return keys_.data() + offset(layer, block, slot);
  }
  uint16_t* value(int32_t layer, int32_t block, int32_t slot) {
    return values_.data() + offset(layer, block, slot);
  }
  const uint16_t* key(int32_t layer, int32_t block, int32_t slot) const {
    return keys_.data() + offset(layer, block, slot);
  }
  const uint16_t* value(int32_t layer, int32_t block, int32_t slot) const {
    return values_.data() + offset(layer, block, slot);
  }

 private:
  size_t offset(int32_t layer, int32_t block, int32_t slot) const {
    return ((static_cast<size_t>(layer) * n_blocks_ + block) * block_size_ + slot) * kv_dim_;
  }

  int32_t kv_dim_;
  int32_t n_blocks_;
  int32_t block_size_;
  std::vector<uint16_t> keys_;
  std::vector<uint16_t> values_;
};

}  // namespace engine
