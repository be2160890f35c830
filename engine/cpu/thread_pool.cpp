#include "cpu/thread_pool.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>

namespace engine {
namespace {

// How long an idle worker spins before it sleeps: longer than the gap between two loops of one
// step, far shorter than the gap between steps of an idle server.
constexpr auto kSpin = std::chrono::microseconds(200);

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  const int extra = std::max(0, n_threads - 1);
  for (int i = 0; i < extra; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  parallel_for(n, std::max<int64_t>(1, n / (4 * size())), fn);
}

void ThreadPool::parallel_for(int64_t n, int64_t grain,
                              const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  if (workers_.empty() || n <= grain) {
    fn(0, n);
    return;
  }
  job_ = &fn;
  job_n_ = n;
  job_grain_ = grain;
  next_.store(0, std::memory_order_relaxed);
  busy_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  run_chunks();
  while (busy_.load(std::memory_order_acquire) != 0) _mm_pause();
  job_ = nullptr;
}

void ThreadPool::run_chunks() {
  for (;;) {
    const int64_t begin = next_.fetch_add(job_grain_, std::memory_order_relaxed);
    if (begin >= job_n_) return;
    (*job_)(begin, std::min(job_n_, begin + job_grain_));
  }
}

void ThreadPool::worker_loop() {
  // Not generation_.load(): a thread that starts late would skip the first loop and hang it.
  uint32_t seen = 0;
  for (;;) {
    const auto spin_until = std::chrono::steady_clock::now() + kSpin;
    uint32_t g;
    while ((g = generation_.load(std::memory_order_acquire)) == seen) {
      if (std::chrono::steady_clock::now() > spin_until) {
        generation_.wait(seen, std::memory_order_acquire);
      } else {
        _mm_pause();
      }
    }
    seen = g;
    if (stop_.load()) return;
    run_chunks();
    busy_.fetch_sub(1, std::memory_order_release);
  }
}

}  // namespace engine
