#include "pull/pull_progress.h"

#include <cstdio>
#include <utility>

namespace engine::pull {
namespace {

double seconds(PullProgress::Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string rate(double bytes, double secs) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB/s", secs > 0 ? bytes / secs / 1e6 : 0.0);
  return buf;
}

}  // namespace

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
  return buf;
}

PullProgress::PullProgress(std::string name, std::chrono::milliseconds interval,
                           std::function<void(const std::string&)> log)
    : name_(std::move(name)), interval_(interval), log_(std::move(log)) {}

void PullProgress::start(std::uint64_t have, std::uint64_t total) {
  total_ = total;
  last_bytes_ = have;
  last_time_ = Clock::now();
  if (!started_) first_start_ = last_time_;
  started_ = true;
}

void PullProgress::update(std::uint64_t have) {
  const Clock::time_point now = Clock::now();
  if (!log_ || now - last_time_ < interval_) return;
  std::string line = name_ + ": " + human_bytes(static_cast<double>(have));
  if (total_ > 0) {
    char pct[32];
    std::snprintf(pct, sizeof pct, " (%.1f%%)",
                  100.0 * static_cast<double>(have) / static_cast<double>(total_));
    line += " of " + human_bytes(static_cast<double>(total_)) + pct;
  }
  line += ", " + rate(static_cast<double>(have - last_bytes_), seconds(now - last_time_));
  log_(line);
  last_bytes_ = have;
  last_time_ = now;
}

std::string PullProgress::summary(std::uint64_t downloaded) const {
  const double secs = started_ ? seconds(Clock::now() - first_start_) : 0.0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", secs);
  return human_bytes(static_cast<double>(downloaded)) + " in " + buf + " (" +
         rate(static_cast<double>(downloaded), secs) + ")";
}

}  // namespace engine::pull
