// A KV cache's keys and values in host memory, for the CPU backend: F16, laid out
// [layer][block][kv_head][slot][head_dim] for keys and values each. Attention reads one head's
// rows of a block one after another, and so finds them side by side: with the rows of all heads
// of a slot together, each head's rows were far apart and nearly every one cost a TLB miss.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "cpu/huge_page_buffer.h"
#include "model/kv_cache.h"
#include "model/model_config.h"

namespace engine {

class CpuKvStorage final : public KvStorage {
 public:
  CpuKvStorage(const ModelConfig& config, int32_t n_blocks, int32_t block_size)
      : n_kv_heads_(config.n_kv_heads),
        head_dim_(config.head_dim),
        n_blocks_(n_blocks),
        block_size_(block_size),
        keys_(bytes(config, n_blocks, block_size), "the KV cache"),
        values_(keys_.size(), "the KV cache") {
    // Touched now, as the fixed pool it is: a server past its memory limit fails as it starts,
    // not when its cache fills.
    std::memset(keys_.data(), 0, keys_.size());
    std::memset(values_.data(), 0, values_.size());
  }

  int32_t block_size() const { return block_size_; }

  // KV head `head`'s head_dim halves at `slot` of `block`.
  uint16_t* key(int32_t layer, int32_t block, int32_t slot, int32_t head) {
    return halves(keys_) + offset(layer, block, slot, head);
  }
  uint16_t* value(int32_t layer, int32_t block, int32_t slot, int32_t head) {
    return halves(values_) + offset(layer, block, slot, head);
  }
  const uint16_t* key(int32_t layer, int32_t block, int32_t slot, int32_t head) const {
    return const_cast<CpuKvStorage*>(this)->key(layer, block, slot, head);
  }
  const uint16_t* value(int32_t layer, int32_t block, int32_t slot, int32_t head) const {
    return const_cast<CpuKvStorage*>(this)->value(layer, block, slot, head);
  }

 private:
  // The keys' half of the cache (or the values').
  static size_t bytes(const ModelConfig& c, int32_t n_blocks, int32_t block_size) {
    return KvCache::bytes_per_token(c) / 2 * n_blocks * block_size;
  }
  static uint16_t* halves(HugePageBuffer& b) { return reinterpret_cast<uint16_t*>(b.data()); }
  size_t offset(int32_t layer, int32_t block, int32_t slot, int32_t head) const {
    const size_t b = static_cast<size_t>(layer) * n_blocks_ + block;
    return ((b * n_kv_heads_ + head) * block_size_ + slot) * head_dim_;
  }

  int32_t n_kv_heads_;
  int32_t head_dim_;
  int32_t n_blocks_;
  int32_t block_size_;
  HugePageBuffer keys_;
  HugePageBuffer values_;
};

}  // namespace engine
