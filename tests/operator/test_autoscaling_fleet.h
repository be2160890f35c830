// A scripted fleet for the autoscaler's scenario tests: a fake clock, replicas that become Ready
// a fixed time after they are asked for, pods beyond the cluster's room left unschedulable, load
// spread evenly over the ready replicas, and each decision applied as the operator would.
#pragma once

#include <algorithm>
#include <functional>
#include <limits>
#include <ostream>
#include <vector>

#include "autoscaling/autoscaler.h"

namespace autoscaling_test {

using autoscaling::Clock;
using autoscaling::EngineLoad;

// A replica count the autoscaler set, and when (seconds since the fleet started).
struct Change {
  int at = 0;
  int replicas = 0;
  bool operator==(const Change&) const = default;
};

inline std::ostream& operator<<(std::ostream& out, const Change& change) {
  return out << "{" << change.at << "s: " << change.replicas << "}";
}

// One ready replica's gauges, given the seconds since the start and how many replicas are ready.
using LoadScript = std::function<EngineLoad(int elapsed, int ready)>;

// `total(elapsed)` requests waiting, shared evenly by the ready replicas.
inline LoadScript waiting(std::function<double(int)> total) {
  return [total](int elapsed, int ready) {
    return EngineLoad{total(elapsed) / std::max(ready, 1), 0, 0};
  };
}

// `demand(elapsed)` requests in the system, shared evenly: each replica runs up to `concurrency`
// of its share and queues the rest, as mistral-engine does with --max-num-seqs.
inline LoadScript served(std::function<double(int)> demand, double concurrency) {
  return [demand, concurrency](int elapsed, int ready) {
    const double share = demand(elapsed) / std::max(ready, 1);
    const double running = std::min(share, concurrency);
    return EngineLoad{share - running, running, running / concurrency};
  };
}

class Fleet {
 public:
  Fleet(autoscaling::ScalingSpec spec, int replicas, std::chrono::seconds startup = {})
      : spec_(std::move(spec)), startup_(startup) {
    for (int i = 0; i < replicas; ++i) pods_.push_back({now_, false});
  }

  // At most this many pods can be scheduled; the rest stay Pending (unschedulable).
  void set_room(int room) { room_ = room; }
  // This many ready replicas answer no scrape.
  void set_unreadable(int unreadable) { unreadable_ = unreadable; }

  int replicas() const { return static_cast<int>(pods_.size()); }
  int elapsed() const { return static_cast<int>((now_ - start_) / std::chrono::seconds(1)); }
  const autoscaling::Decision& last() const { return last_; }

  // The replicas' samples now, load from `script`.
  std::vector<autoscaling::ReplicaSample> samples(const LoadScript& script) const {
    const int ready = static_cast<int>(
        std::count_if(pods_.begin(), pods_.end(), [&](const Pod& pod) { return is_ready(pod); }));
    std::vector<autoscaling::ReplicaSample> out;
    int unreadable = unreadable_;
    for (const Pod& pod : pods_) {
      autoscaling::ReplicaSample sample;
      if (pod.stuck) {
        sample.phase = autoscaling::ReplicaPhase::kStuck;
      } else if (!is_ready(pod)) {
        sample.phase = autoscaling::ReplicaPhase::kStarting;
      } else if (unreadable > 0) {
        --unreadable;
      } else {
        sample.load = script(elapsed(), ready);
      }
      out.push_back(sample);
    }
    return out;
  }

  // Polls every `interval` for `seconds`, applying each decision; returns the changes.
  std::vector<Change> run(int seconds, const LoadScript& script,
                          std::chrono::seconds interval = std::chrono::seconds(5)) {
    std::vector<Change> changes;
    const Clock::time_point end = now_ + std::chrono::seconds(seconds);
    for (; now_ < end; now_ += interval) {
      const int before = replicas();
      last_ = autoscaling::decide(spec_, {now_, before, samples(script)}, state_);
      state_ = last_.state;
      resize(last_.desired);
      if (last_.desired != before) changes.push_back({elapsed(), last_.desired});
    }
    return changes;
  }

 private:
  struct Pod {
    Clock::time_point ready_at;
    bool stuck = false;
  };

  bool is_ready(const Pod& pod) const { return !pod.stuck && pod.ready_at <= now_; }

  int scheduled() const {
    return static_cast<int>(
        std::count_if(pods_.begin(), pods_.end(), [](const Pod& pod) { return !pod.stuck; }));
  }

  // As a ReplicaSet: new pods start (or stay Pending without room); removal takes unscheduled
  // pods first, then those not ready, then the newest; freed room schedules a pending pod.
  void resize(int desired) {
    while (replicas() < desired) pods_.push_back({now_ + startup_, scheduled() >= room_});
    const auto rank = [&](const Pod& pod) { return pod.stuck ? 2 : is_ready(pod) ? 0 : 1; };
    std::stable_sort(pods_.begin(), pods_.end(),
                     [&](const Pod& a, const Pod& b) { return rank(a) < rank(b); });
    while (replicas() > desired) pods_.pop_back();
    for (Pod& pod : pods_) {
      if (pod.stuck && scheduled() < room_) pod = {now_ + startup_, false};
    }
  }

  autoscaling::ScalingSpec spec_;
  std::chrono::seconds startup_;
  Clock::time_point start_ = Clock::time_point{} + std::chrono::hours(1);
  Clock::time_point now_ = start_;
  std::vector<Pod> pods_;
  int room_ = std::numeric_limits<int>::max();
  int unreadable_ = 0;
  autoscaling::AutoscalerState state_;
  autoscaling::Decision last_;
};

}  // namespace autoscaling_test
