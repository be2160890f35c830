// Paged key/value cache: fixed-size blocks from one pool, a block table per sequence, nothing
// reserved up front for a sequence's worst case. The cache keeps the books (which blocks each
// sequence holds); the keys and values themselves live in a KvStorage of the backend that
// computes them, in host or device memory. Entries are F16, as llama.cpp keeps them.
//
// Prefix caching: a full block whose keys and values are computed can be published under a hash
// chained over every token up to its end. A later sequence whose tokens start the same way attaches
// the published blocks instead of computing them again. Blocks are refcounted; a published block no
// sequence uses stays cached until the pool needs it back (least recently used first).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "model/model_config.h"

namespace engine {

using SeqId = int32_t;
using TokenId = int32_t;

// Where a cache's keys and values live: made by a backend (Backend::new_kv_storage) for
// n_blocks blocks of every layer, and read and written only by it.
class KvStorage {
 public:
  virtual ~KvStorage() = default;
};

class KvCache {
 public:
  // Without storage the cache only keeps the books: Model::forward refuses it
  // (Model::new_kv_cache makes one with its backend's storage).
  explicit KvCache(int32_t n_blocks, int32_t block_size = 16,
                   std::unique_ptr<KvStorage> storage = nullptr);
  // Throws std::invalid_argument unless there are blocks of some size: checked before a backend
  // takes memory for a cache's storage, and by the constructor.
  static void check_shape(int32_t n_blocks, int32_t block_size);

  // Blocks needed to hold `n_positions` tokens of one sequence.
  int32_t blocks_for(int32_t n_positions) const;
  // Makes positions [0, n_positions) of `seq` addressable; false (and no change) when the pool
  // lacks blocks. Cached blocks nobody uses are evicted to make room.
  bool reserve(SeqId seq, int32_t n_positions);
  // Drops the sequence's hold on its blocks; published ones stay cached.
  void release(SeqId seq);

  // For a sequence that holds no blocks yet: attaches the published blocks that hold exactly the
  // first tokens of `tokens`, and returns how many positions they cover. At least one token is
  // always left to compute, since its logits are needed.
  int32_t attach_prefix(SeqId seq, std::span<const TokenId> tokens);
  // Publishes the sequence's full blocks among its first `n_computed` positions, whose keys and
  // values are in the cache; `tokens` are the sequence's tokens from position 0.
  void publish(SeqId seq, std::span<const TokenId> tokens, int32_t n_computed);
  // Positions `seq` can hold without reserving more.
  int32_t capacity(SeqId seq) const;

  // Position pos of a sequence is in block table[pos / block_size], slot pos % block_size.
  const std::vector<int32_t>& block_table(SeqId seq) const { return seqs_.at(seq).table; }
  KvStorage* storage() const { return storage_.get(); }

  int32_t n_blocks() const { return n_blocks_; }
  // Blocks a reservation can take: never used, or cached but unused.
  int32_t free_blocks() const { return static_cast<int32_t>(free_.size() + lru_.size()); }
  // Blocks held by at least one sequence.
  int32_t used_blocks() const { return n_blocks_ - free_blocks(); }
  // Published blocks (in use or not).
  int32_t cached_blocks() const { return static_cast<int32_t>(by_hash_.size()); }
  int32_t block_size() const { return block_size_; }
  static size_t bytes_per_token(const ModelConfig& config);

 private:
  struct Block {
    int32_t refs = 0;
    bool published = false;
    uint64_t hash = 0;
    uint64_t parent = 0;          // hash of the block before it (0 for a sequence's first)
    std::vector<TokenId> tokens;  // a published block's tokens: with `parent`, rule out collisions
    std::list<int32_t>::iterator lru_pos;
  };
  struct SeqState {
    std::vector<int32_t> table;
    int32_t n_published = 0;  // leading blocks of `table` already published or attached
    uint64_t chain = 0;       // hash through the last of them
  };

  int32_t take_block();
  void drop_ref(int32_t block);

  int32_t n_blocks_;
  int32_t block_size_;
  std::unique_ptr<KvStorage> storage_;
  std::vector<Block> blocks_;
  std::vector<int32_t> free_;  // unpublished and unused
  std::list<int32_t> lru_;     // published and unused, least recently used first
  std::unordered_map<uint64_t, int32_t> by_hash_;
  std::unordered_map<SeqId, SeqState> seqs_;
};

}  // namespace engine
