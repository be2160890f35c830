#include "model/kv_cache.h"

#include <algorithm>
#include <stdexcept>

namespace engine {
namespace {

// Chains a block's tokens onto the hash of everything before it (FNV-1a over 32-bit tokens, then
// a 64-bit finalizer). The hash only finds candidates: attach_prefix accepts a block only when
// its parent hash and its tokens are the ones asked for, so by induction from the first block
// an attached prefix holds exactly the requested tokens, even for crafted collisions.
uint64_t chain_hash(uint64_t parent, std::span<const TokenId> tokens) {
  uint64_t h = parent ^ 0xcbf29ce484222325ull;
  for (TokenId t : tokens) {
    h ^= static_cast<uint32_t>(t);
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

}  // namespace

KvCache::KvCache(int32_t n_blocks, int32_t block_size, std::unique_ptr<KvStorage> storage)
    : n_blocks_(n_blocks), block_size_(block_size), storage_(std::move(storage)) {
  check_shape(n_blocks, block_size);
  blocks_.resize(n_blocks);
  free_.reserve(n_blocks);
  for (int32_t b = n_blocks - 1; b >= 0; --b) free_.push_back(b);
}

void KvCache::check_shape(int32_t n_blocks, int32_t block_size) {
  if (n_blocks <= 0 || block_size <= 0) throw std::invalid_argument("KV cache needs blocks");
}

size_t KvCache::bytes_per_token(const ModelConfig& config) {
  return 2 * sizeof(uint16_t) * static_cast<size_t>(config.n_layers) * config.kv_dim();
}

int32_t KvCache::blocks_for(int32_t n_positions) const {
  return (n_positions + block_size_ - 1) / block_size_;
}

int32_t KvCache::take_block() {
  int32_t b;
  if (!free_.empty()) {
    b = free_.back();
    free_.pop_back();
  } else {
    b = lru_.front();
    lru_.pop_front();
    Block& evicted = blocks_[b];
    by_hash_.erase(evicted.hash);
    evicted.published = false;
    evicted.tokens.clear();
  }
  blocks_[b].refs = 1;
  return b;
}

void KvCache::drop_ref(int32_t block) {
  Block& b = blocks_[block];
  if (--b.refs > 0) return;
  if (b.published) {
    lru_.push_back(block);
    b.lru_pos = std::prev(lru_.end());
  } else {
    free_.push_back(block);
  }
}

bool KvCache::reserve(SeqId seq, int32_t n_positions) {
  SeqState& s = seqs_[seq];
  const int32_t need = blocks_for(n_positions) - static_cast<int32_t>(s.table.size());
  if (need <= 0) return true;
  if (need > free_blocks()) {
    if (s.table.empty()) seqs_.erase(seq);
    return false;
  }
  for (int32_t i = 0; i < need; ++i) s.table.push_back(take_block());
  return true;
}

void KvCache::release(SeqId seq) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end()) return;
  for (int32_t b : it->second.table) drop_ref(b);
  seqs_.erase(it);
}

int32_t KvCache::attach_prefix(SeqId seq, std::span<const TokenId> tokens) {
  SeqState& s = seqs_[seq];
  if (!s.table.empty()) throw std::logic_error("attach_prefix on a sequence that holds blocks");
  const size_t max_blocks = tokens.empty() ? 0 : (tokens.size() - 1) / block_size_;
  for (size_t i = 0; i < max_blocks; ++i) {
    const auto block_tokens = tokens.subspan(i * block_size_, block_size_);
    const uint64_t h = chain_hash(s.chain, block_tokens);
    const auto found = by_hash_.find(h);
    if (found == by_hash_.end()) break;
    Block& b = blocks_[found->second];
    if (b.parent != s.chain ||
        !std::equal(b.tokens.begin(), b.tokens.end(), block_tokens.begin(), block_tokens.end())) {
      break;
    }
    if (b.refs++ == 0) lru_.erase(b.lru_pos);
    s.table.push_back(found->second);
    s.chain = h;
    ++s.n_published;
  }
  const auto covered = static_cast<int32_t>(s.table.size()) * block_size_;
  if (s.table.empty()) seqs_.erase(seq);
  return covered;
}

void KvCache::publish(SeqId seq, std::span<const TokenId> tokens, int32_t n_computed) {
  SeqState& s = seqs_.at(seq);
  const int32_t full = std::min<int32_t>(n_computed / block_size_, s.table.size());
  for (; s.n_published < full; ++s.n_published) {
    const auto block_tokens =
        tokens.subspan(static_cast<size_t>(s.n_published) * block_size_, block_size_);
    const uint64_t parent = s.chain;
    s.chain = chain_hash(parent, block_tokens);
    Block& b = blocks_[s.table[s.n_published]];
    // Another sequence may have published the same content first; this copy stays private.
    if (b.published || by_hash_.count(s.chain)) continue;
    b.published = true;
    b.hash = s.chain;
    b.parent = parent;
    b.tokens.assign(block_tokens.begin(), block_tokens.end());
    by_hash_.emplace(s.chain, s.table[s.n_published]);
  }
}

int32_t KvCache::capacity(SeqId seq) const {
  auto it = seqs_.find(seq);
  return it == seqs_.end() ? 0 : static_cast<int32_t>(it->second.table.size()) * block_size_;
}

}  // namespace engine
