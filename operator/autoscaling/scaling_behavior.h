// The HPA's scaling behaviour: stabilization windows over past recommendations, and rate
// policies over past scale events.
#pragma once

#include <span>

#include "autoscaling/scaling_spec.h"

namespace autoscaling {

// A recommendation the autoscaler made (after min/max, before windows and policies).
struct Recommendation {
  Clock::time_point time;
  int replicas = 0;
};

// A change the autoscaler made to the replica count: positive up, negative down.
struct ScaleEvent {
  Clock::time_point time;
  int change = 0;
};

// Scale up only to the lowest recommendation within the up window, down only to the highest
// within the down window (`recommended` itself included); otherwise stay at `current`.
// Recommendations made after now - window count.
int stabilize(int current, int recommended, Clock::time_point now, const ScalingSpec& spec,
              std::span<const Recommendation> history);

// The most replicas the scale-up policies allow now: the replicas at the start of each policy's
// period (current minus what was added within it) plus the pods or percent it allows. kMax takes
// the most permissive policy, kMin the least, kDisabled allows no scale-up (current). No
// policies: no limit.
int scale_up_limit(const DirectionBehavior& behavior, int current, Clock::time_point now,
                   std::span<const ScaleEvent> events);

// The fewest replicas the scale-down policies allow now (percent rounds the replicas kept down,
// so any percentage removes at least one). kDisabled allows no scale-down (current).
int scale_down_limit(const DirectionBehavior& behavior, int current, Clock::time_point now,
                     std::span<const ScaleEvent> events);

}  // namespace autoscaling
