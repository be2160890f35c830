// Paged key/value cache: fixed-size blocks from one pool, a block table per sequence, nothing
// reserved up front for a sequence's worst case. Entries are F16, as llama.cpp keeps them.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "model/model_config.h"

namespace engine {

using SeqId = int32_t;

class KvCache {
 public:
  KvCache(const ModelConfig& config, int32_t n_blocks, int32_t block_size = 16);

  // Blocks needed to hold `n_positions` tokens of one sequence.
  int32_t blocks_for(int32_t n_positions) const;
  // Makes positions [0, n_positions) of `seq` addressable; false (and no change) when the pool
  // lacks blocks.
  bool reserve(SeqId seq, int32_t n_positions);
  // Returns the sequence's blocks to the pool.
  void release(SeqId seq);
  // Positions `seq` can hold without reserving more.
  int32_t capacity(SeqId seq) const;

  uint16_t* key(int32_t layer, SeqId seq, int32_t pos);
  uint16_t* value(int32_t layer, SeqId seq, int32_t pos);
  const uint16_t* key(int32_t layer, SeqId seq, int32_t pos) const;
  const uint16_t* value(int32_t layer, SeqId seq, int32_t pos) const;

  // Attention walks a sequence through its table: block = table[pos / block_size].
  const std::vector<int32_t>& block_table(SeqId seq) const { return tables_.at(seq); }
  const uint16_t* key_slot(int32_t layer, int32_t block, int32_t slot) const {
    return keys_.data() + slot_offset(layer, block, slot);
  }
  const uint16_t* value_slot(int32_t layer, int32_t block, int32_t slot) const {
    return values_.data() + slot_offset(layer, block, slot);
  }

  int32_t n_blocks() const { return n_blocks_; }
  int32_t free_blocks() const { return static_cast<int32_t>(free_.size()); }
  int32_t block_size() const { return block_size_; }
  static size_t bytes_per_token(const ModelConfig& config);

 private:
  size_t offset(int32_t layer, SeqId seq, int32_t pos) const;
  size_t slot_offset(int32_t layer, int32_t block, int32_t slot) const {
    return ((static_cast<size_t>(layer) * n_blocks_ + block) * block_size_ + slot) * kv_dim_;
  }

  int32_t n_layers_;
  int32_t kv_dim_;
  int32_t n_blocks_;
  int32_t block_size_;
  std::vector<uint16_t> keys_;    // [layer][block][slot][kv_dim]
  std::vector<uint16_t> values_;  // same layout
  std::vector<int32_t> free_;
  std::unordered_map<SeqId, std::vector<int32_t>> tables_;
};

}  // namespace engine
