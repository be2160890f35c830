// Progress lines for a download, at most one per interval: bytes, percent and the rate since the
// last line.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace engine::pull {

// "1.50 GiB" and the like.
std::string human_bytes(double bytes);

class PullProgress {
 public:
  using Clock = std::chrono::steady_clock;
  PullProgress(std::string name, std::chrono::milliseconds interval,
               std::function<void(const std::string&)> log);

  // A transfer begins with `have` of `total` bytes (0: unknown) already on disk.
  void start(std::uint64_t have, std::uint64_t total);
  // Now `have` bytes are on disk; logs when the interval has passed since the last line.
  void update(std::uint64_t have);
  // "4.07 GiB in 48.2 s (85.3 MB/s)" for the bytes transferred since the first start().
  std::string summary(std::uint64_t downloaded) const;

 private:
  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<void(const std::string&)> log_;
  std::uint64_t total_ = 0;
  std::uint64_t last_bytes_ = 0;
  Clock::time_point first_start_{};
  Clock::time_point last_time_{};
  bool started_ = false;
};

}  // namespace engine::pull
