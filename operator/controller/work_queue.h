// The reconcile work queue, as controller-runtime's: keys ("namespace/name") are de-duplicated,
// a key is never handed to two workers at once (an add while it is being processed runs it
// again afterwards), and failed keys come back after a per-key exponential backoff.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace controller {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WorkQueue(std::chrono::milliseconds base_delay = std::chrono::milliseconds(5),
                     std::chrono::milliseconds max_delay = std::chrono::minutes(5));

  void add(const std::string& key);
  void add_after(const std::string& key, std::chrono::milliseconds delay);
  // Adds after the key's next backoff delay: base * 2^failures, capped at max.
  void add_rate_limited(const std::string& key);
  // The key succeeded: its backoff starts over.
  void forget(const std::string& key);
  int failures(const std::string& key) const;

  // Blocks until a key is ready; nullopt once shut down. Every key got must be done().
  std::optional<std::string> get();
  void done(const std::string& key);
  void shut_down();

  // Keys waiting to be processed, not counting delayed ones.
  size_t depth() const;

 private:
  void enqueue_locked(const std::string& key);
  void promote_due_locked(Clock::time_point now);

  const std::chrono::milliseconds base_delay_;
  const std::chrono::milliseconds max_delay_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_;  // queued, or to be queued when processing ends
  std::unordered_set<std::string> processing_;
  std::multimap<Clock::time_point, std::string> delayed_;
  std::unordered_map<std::string, int> failures_;
  bool shutting_down_ = false;
};

}  // namespace controller
