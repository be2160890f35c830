// Block sharing in the paged KV cache: refcounts, chained hashes, LRU eviction, and that logits
// computed over attached blocks equal those computed from scratch.
#include <gtest/gtest.h>

#include "model/model.h"
#include "small_model.h"

using namespace engine;

namespace {

std::vector<TokenId> tokens(int n, int salt = 0) {
  std::vector<TokenId> t;
  for (int i = 0; i < n; ++i) t.push_back(300 + (i * 13 + salt) % 17);
  return t;
}

}  // namespace

TEST(PrefixCache, AttachesOnlyPublishedFullBlocksAndLeavesATokenToCompute) {
  KvCache cache(16, 4);
  const std::vector<TokenId> t = tokens(12);
  ASSERT_TRUE(cache.reserve(0, 12));
  cache.publish(0, t, 10);  // two full blocks computed
  EXPECT_EQ(cache.cached_blocks(), 2);
  cache.publish(0, t, 12);
  EXPECT_EQ(cache.cached_blocks(), 3);

  // Same 12 tokens: 3 blocks are cached but one token must remain, so two attach.
  EXPECT_EQ(cache.attach_prefix(1, t), 8);
  // A longer sequence with the same start gets all three.
  std::vector<TokenId> longer = t;
  longer.push_back(5);
  EXPECT_EQ(cache.attach_prefix(2, longer), 12);
  EXPECT_EQ(cache.block_table(2), cache.block_table(0));
  // A different second block stops the match after the first.
  std::vector<TokenId> diverging = t;
  diverging[5] = 7;
  EXPECT_EQ(cache.attach_prefix(3, diverging), 4);
  EXPECT_EQ(cache.used_blocks(), 3);
}

TEST(PrefixCache, ReleasedBlocksStayCachedUntilThePoolNeedsThem) {
  KvCache cache(4, 4);
  const std::vector<TokenId> a = tokens(9, 1);
  ASSERT_TRUE(cache.reserve(0, 9));
  cache.publish(0, a, 9);
  cache.release(0);
  EXPECT_EQ(cache.used_blocks(), 0);
  EXPECT_EQ(cache.free_blocks(), 4);
  EXPECT_EQ(cache.cached_blocks(), 2);

  // Three blocks for another sequence: the two free ones, then the least recently used cached one.
  ASSERT_TRUE(cache.reserve(1, 12));
  EXPECT_EQ(cache.cached_blocks(), 1);
  cache.release(1);
  // a's first block was evicted first (LRU order is release order: a0, a1), so nothing matches.
  EXPECT_EQ(cache.attach_prefix(2, a), 0);
  EXPECT_EQ(cache.capacity(2), 0);
}

TEST(PrefixCache, SharedBlocksAreRefcounted) {
  KvCache cache(8, 4);
  const std::vector<TokenId> t = tokens(9);
  ASSERT_TRUE(cache.reserve(0, 9));
  cache.publish(0, t, 9);
  EXPECT_EQ(cache.attach_prefix(1, t), 8);
  ASSERT_TRUE(cache.reserve(1, 9));
  EXPECT_EQ(cache.used_blocks(), 4);  // 2 shared + one private each
  cache.release(0);
  EXPECT_EQ(cache.used_blocks(), 3);  // the shared two are still held by sequence 1
  EXPECT_EQ(cache.attach_prefix(2, t), 8);
  cache.release(1);
  cache.release(2);
  EXPECT_EQ(cache.used_blocks(), 0);
  EXPECT_EQ(cache.free_blocks(), 8);
}

TEST(PrefixCache, DuplicateContentStaysPrivate) {
  KvCache cache(8, 4);
  const std::vector<TokenId> t = tokens(8);
  ASSERT_TRUE(cache.reserve(0, 8));
  ASSERT_TRUE(cache.reserve(1, 8));
  cache.publish(0, t, 8);
  cache.publish(1, t, 8);  // computed concurrently: the first copy wins
  EXPECT_EQ(cache.cached_blocks(), 2);
  cache.release(1);
  EXPECT_EQ(cache.free_blocks(), 6);
  EXPECT_EQ(cache.attach_prefix(2, tokens(9)), 8);
  EXPECT_EQ(cache.block_table(2), cache.block_table(0));
}

TEST(PrefixCache, LogitsOverAttachedBlocksEqualComputingFromScratch) {
  Model m(test_support::synth("prefix", test_support::tiny(SynthFileType::Q4_K_M)), 2);
  std::vector<TokenId> t = {1};
  for (int i = 1; i < 40; ++i) t.push_back(260 + (i * 5) % 50);
  const auto run = [&](KvCache& cache, SeqId seq, int32_t from) {
    EXPECT_TRUE(cache.reserve(seq, static_cast<int32_t>(t.size())));
    std::vector<BatchEntry> batch;
    for (int32_t p = from; p < static_cast<int32_t>(t.size()); ++p) {
      batch.push_back({seq, p, t[p], p + 1 == static_cast<int32_t>(t.size())});
    }
    return m.forward(batch, cache);
  };
  KvCache cache = m.new_kv_cache(16, 16);
  const std::vector<float> scratch = run(cache, 0, 0);
  cache.publish(0, t, static_cast<int32_t>(t.size()));
  cache.release(0);
  const int32_t covered = cache.attach_prefix(1, t);
  EXPECT_EQ(covered, 32);
  EXPECT_EQ(run(cache, 1, covered), scratch);
}
