// Bounded waits between a test and its server's handler threads, instead of sleeps.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>

namespace mf_test {

// A one-way signal: set once, waited on by any number of threads.
class Flag {
 public:
  void set() {
    std::lock_guard lock(mutex_);
    set_ = true;
    cv_.notify_all();
  }
  // True when set within `timeout`.
  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool set_ = false;
};

// Text that grows, and a wait for it to reach a length.
class Received {
 public:
  void append(std::string_view piece) {
    std::lock_guard lock(mutex_);
    text_ += piece;
    ++pieces_;
    cv_.notify_all();
  }
  bool wait_for_size(std::size_t size,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return text_.size() >= size; });
  }
  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }
  int pieces() {
    std::lock_guard lock(mutex_);
    return pieces_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string text_;
  int pieces_ = 0;
};

}  // namespace mf_test
