// The reconcile work queue: de-duplication, one worker per key, delays and per-key backoff.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "controller/work_queue.h"

namespace {

using controller::WorkQueue;
using namespace std::chrono_literals;

TEST(WorkQueue, DeduplicatesKeysWaitingToBeProcessed) {
  WorkQueue queue;
  queue.add("ns/a");
  queue.add("ns/b");
  queue.add("ns/a");
  EXPECT_EQ(queue.depth(), 2u);
  EXPECT_EQ(queue.get(), "ns/a");
  EXPECT_EQ(queue.get(), "ns/b");
  EXPECT_EQ(queue.depth(), 0u);
}

TEST(WorkQueue, AKeyAddedWhileProcessingRunsAgainAfterDone) {
  WorkQueue queue;
  queue.add("ns/a");
  const auto key = queue.get();
  ASSERT_EQ(key, "ns/a");
  queue.add("ns/a");
  // Not handed to a second worker while the first holds it.
  EXPECT_EQ(queue.depth(), 0u);
  queue.done("ns/a");
  EXPECT_EQ(queue.depth(), 1u);
  EXPECT_EQ(queue.get(), "ns/a");
  queue.done("ns/a");
  EXPECT_EQ(queue.depth(), 0u);
}

TEST(WorkQueue, DelayedKeysArriveAfterTheirDelayInOrder) {
  WorkQueue queue;
  const auto start = WorkQueue::Clock::now();
  queue.add_after("ns/late", 120ms);
  queue.add_after("ns/early", 40ms);
  EXPECT_EQ(queue.depth(), 0u);
  EXPECT_EQ(queue.get(), "ns/early");
  EXPECT_GE(WorkQueue::Clock::now() - start, 40ms);
  EXPECT_EQ(queue.get(), "ns/late");
  EXPECT_GE(WorkQueue::Clock::now() - start, 120ms);
}

TEST(WorkQueue, BackoffDoublesPerFailureUntilForgotten) {
  WorkQueue queue(10ms, 1000ms);
  for (int i = 0; i < 3; ++i) {
    const auto start = WorkQueue::Clock::now();
    queue.add_rate_limited("ns/a");
    ASSERT_EQ(queue.get(), "ns/a");
    EXPECT_GE(WorkQueue::Clock::now() - start, 10ms * (1 << i));
    queue.done("ns/a");
  }
  EXPECT_EQ(queue.failures("ns/a"), 3);
  queue.forget("ns/a");
  EXPECT_EQ(queue.failures("ns/a"), 0);
}

TEST(WorkQueue, BackoffIsCapped) {
  // 40 failures would wait 2^39 ms uncapped; the cap keeps it at 20 ms.
  WorkQueue capped(1ms, 20ms);
  for (int i = 0; i < 39; ++i) {
    capped.add_rate_limited("y");
    ASSERT_EQ(capped.get(), "y");
    capped.done("y");
  }
  const auto start = WorkQueue::Clock::now();
  capped.add_rate_limited("y");
  ASSERT_EQ(capped.get(), "y");
  EXPECT_LT(WorkQueue::Clock::now() - start, 2s);
}

TEST(WorkQueue, ShutDownReleasesBlockedWorkers) {
  WorkQueue queue;
  std::atomic<int> released{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 3; ++i) {
    workers.emplace_back([&] {
      if (!queue.get().has_value()) released++;
    });
  }
  queue.shut_down();
  for (auto& t : workers) t.join();
  EXPECT_EQ(released.load(), 3);
  queue.add("ns/a");
  EXPECT_EQ(queue.get(), std::nullopt);
}

TEST(WorkQueue, ConcurrentWorkersNeverShareAKey) {
  WorkQueue queue;
  std::atomic<int> in_flight{0}, max_in_flight{0}, processed{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      while (auto key = queue.get()) {
        const int now = ++in_flight;
        int seen = max_in_flight.load();
        while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(1ms);
        --in_flight;
        ++processed;
        queue.done(*key);
      }
    });
  }
  for (int i = 0; i < 200; ++i) queue.add("ns/same");
  // Bounded wait for the queue to drain.
  for (int i = 0; i < 2000 && (queue.depth() > 0 || in_flight.load() > 0); ++i) {
    std::this_thread::sleep_for(1ms);
  }
  queue.shut_down();
  for (auto& t : workers) t.join();
  EXPECT_EQ(max_in_flight.load(), 1);
  EXPECT_GE(processed.load(), 1);
  EXPECT_LE(processed.load(), 200);
}

}  // namespace
