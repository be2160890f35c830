#include "model/kv_cache.h"

#include <stdexcept>

namespace engine {

KvCache::KvCache(const ModelConfig& config, int32_t n_blocks, int32_t block_size)
    : n_layers_(config.n_layers),
      kv_dim_(config.kv_dim()),
      n_blocks_(n_blocks),
      block_size_(block_size) {
  if (n_blocks <= 0 || block_size <= 0) throw std::invalid_argument("KV cache needs blocks");
  const size_t n = static_cast<size_t>(n_layers_) * n_blocks * block_size * kv_dim_;
  keys_.resize(n);
  values_.resize(n);
  free_.reserve(n_blocks);
  for (int32_t b = n_blocks - 1; b >= 0; --b) free_.push_back(b);
}

size_t KvCache::bytes_per_token(const ModelConfig& config) {
  return 2 * sizeof(uint16_t) * static_cast<size_t>(config.n_layers) * config.kv_dim();
}

int32_t KvCache::blocks_for(int32_t n_positions) const {
  return (n_positions + block_size_ - 1) / block_size_;
}

bool KvCache::reserve(SeqId seq, int32_t n_positions) {
  std::vector<int32_t>& table = tables_[seq];
  const int32_t need = blocks_for(n_positions) - static_cast<int32_t>(table.size());
  if (need <= 0) return true;
  if (need > free_blocks()) {
    if (table.empty()) tables_.erase(seq);
    return false;
  }
  for (int32_t i = 0; i < need; ++i) {
    table.push_back(free_.back());
    free_.pop_back();
  }
  return true;
}

void KvCache::release(SeqId seq) {
  auto it = tables_.find(seq);
  if (it == tables_.end()) return;
  for (int32_t b : it->second) free_.push_back(b);
  tables_.erase(it);
}

int32_t KvCache::capacity(SeqId seq) const {
  auto it = tables_.find(seq);
  return it == tables_.end() ? 0 : static_cast<int32_t>(it->second.size()) * block_size_;
}

size_t KvCache::offset(int32_t layer, SeqId seq, int32_t pos) const {
  return slot_offset(layer, tables_.at(seq).at(pos / block_size_), pos % block_size_);
}

uint16_t* KvCache::key(int32_t layer, SeqId seq, int32_t pos) {
  return keys_.data() + offset(layer, seq, pos);
}
uint16_t* KvCache::value(int32_t layer, SeqId seq, int32_t pos) {
  return values_.data() + offset(layer, seq, pos);
}
const uint16_t* KvCache::key(int32_t layer, SeqId seq, int32_t pos) const {
  return keys_.data() + offset(layer, seq, pos);
}
const uint16_t* KvCache::value(int32_t layer, SeqId seq, int32_t pos) const {
  return values_.data() + offset(layer, seq, pos);
}

}  // namespace engine
