// A fixed set of worker threads that run one parallel loop at a time. Threads are created once;
// a decode step runs hundreds of loops, so handing one out must cost about a microsecond: workers
// spin briefly on an atomic generation counter before sleeping on it (C++20 atomic wait).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace engine {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // n_threads includes the calling thread
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(begin, end) over [0, n) in chunks of at most `grain` indices, which the threads take
  // in turn until none is left, so a thread slowed by a noisy neighbour takes fewer. Returns when
  // all are done. With one thread, or n <= grain, fn(0, n) runs once on the caller. Results must
  // not depend on which thread runs a chunk.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

  // The same with a grain that gives each thread several chunks.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker_loop();
  void run_chunks();

  std::vector<std::thread> workers_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t job_n_ = 0;
  int64_t job_grain_ = 1;
  std::atomic<int64_t> next_{0};         // the next chunk's first index
  std::atomic<uint32_t> generation_{0};  // bumped to start a loop; workers wait on it
  std::atomic<int> busy_{0};             // workers still in the current loop
  std::atomic<bool> stop_{false};
};

}  // namespace engine
