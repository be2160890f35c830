#include "autoscaling/scaling_behavior.h"

#include <algorithm>
#include <limits>

namespace autoscaling {

namespace {

bool within(Clock::time_point time, Clock::time_point now, std::chrono::seconds window) {
  return time > now - window;
}

// Replicas added (sign +1) or removed (sign -1) by the events within the period.
int64_t changed_within(std::span<const ScaleEvent> events, Clock::time_point now,
                       std::chrono::seconds period, int sign) {
  int64_t changed = 0;
  for (const ScaleEvent& event : events) {
    if (within(event.time, now, period) && event.change * sign > 0) changed += event.change * sign;
  }
  return changed;
}

int to_int(int64_t value) {
  return static_cast<int>(
      std::clamp<int64_t>(value, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

}  // namespace

int stabilize(int current, int recommended, Clock::time_point now, const ScalingSpec& spec,
              std::span<const Recommendation> history) {
  int up = recommended;
  int down = recommended;
  for (const Recommendation& past : history) {
    if (within(past.time, now, spec.scale_up.stabilization)) up = std::min(up, past.replicas);
    if (within(past.time, now, spec.scale_down.stabilization)) down = std::max(down, past.replicas);
  }
  if (current < up) return up;
  if (current > down) return down;
  return current;
}

int scale_up_limit(const DirectionBehavior& behavior, int current, Clock::time_point now,
                   std::span<const ScaleEvent> events) {
  if (behavior.select == PolicySelect::kDisabled) return current;
  if (behavior.policies.empty()) return std::numeric_limits<int>::max();
  int64_t most = std::numeric_limits<int64_t>::min();
  int64_t least = std::numeric_limits<int64_t>::max();
  for (const RatePolicy& policy : behavior.policies) {
    const int64_t start =
        std::max<int64_t>(0, current - changed_within(events, now, policy.period, +1));
    const int64_t limit = policy.kind == PolicyKind::kPods
                              ? start + policy.value
                              : (start * (100 + int64_t{policy.value}) + 99) / 100;
    most = std::max(most, limit);
    least = std::min(least, limit);
  }
  return to_int(behavior.select == PolicySelect::kMax ? most : least);
}

int scale_down_limit(const DirectionBehavior& behavior, int current, Clock::time_point now,
                     std::span<const ScaleEvent> events) {
  if (behavior.select == PolicySelect::kDisabled) return current;
  if (behavior.policies.empty()) return 0;
  int64_t lowest = std::numeric_limits<int64_t>::max();
  int64_t highest = std::numeric_limits<int64_t>::min();
  for (const RatePolicy& policy : behavior.policies) {
    const int64_t start = current + changed_within(events, now, policy.period, -1);
    const int64_t limit = policy.kind == PolicyKind::kPods
                              ? start - policy.value
                              : start * std::max<int64_t>(0, 100 - policy.value) / 100;
    lowest = std::min(lowest, limit);
    highest = std::max(highest, limit);
  }
  // kMax: the policy allowing the largest change, which is the lowest count.
  return to_int(std::max<int64_t>(0, behavior.select == PolicySelect::kMax ? lowest : highest));
}

}  // namespace autoscaling
