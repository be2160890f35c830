// The thread pool: every index exactly once, loops back to back and after the workers sleep.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "cpu/thread_pool.h"

namespace engine {
namespace {

void expect_each_once(ThreadPool& pool, int64_t n, int64_t grain) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  pool.parallel_for(n, grain, [&](int64_t begin, int64_t end) {
    if (pool.size() > 1) {
      EXPECT_LE(end - begin, grain);
    }
    for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
  });
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "index " << i << " of " << n;
}

TEST(ThreadPool, RunsEveryIndexOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (int64_t n : {0, 1, 2, 3, 17, 1000}) {
      for (int64_t grain : {1, 3, 64}) expect_each_once(pool, n, grain);
    }
  }
}

TEST(ThreadPool, ManyLoopsBackToBackAndAfterSleeping) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  for (int round = 0; round < 2000; ++round) {
    pool.parallel_for(64, [&](int64_t begin, int64_t end) { total.fetch_add(end - begin); });
  }
  EXPECT_EQ(total.load(), 2000 * 64);
  // Long enough for the workers to stop spinning and wait: they must still wake for the next.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  expect_each_once(pool, 100, 1);
}

TEST(ThreadPool, UsesTheWorkers) {
  ThreadPool pool(2);
  std::atomic<int> concurrent{0};
  std::atomic<int> peak{0};
  pool.parallel_for(2, 1, [&](int64_t, int64_t) {
    const int now = concurrent.fetch_add(1) + 1;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    // Hold the chunk until the other thread has taken one too, bounded so it cannot hang.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (peak.load() < 2 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    concurrent.fetch_sub(1);
  });
  EXPECT_EQ(peak.load(), 2);
}

}  // namespace
}  // namespace engine
