// The replica count of one queue-depth-scaled InferenceService: a pure, deterministic function
// of the time, the Deployment's replica count, the replicas' samples, the spec and what the
// autoscaler remembers. Modelled on the Kubernetes HPA:
//
//   1. Per signal (signal_recommendation.h): ceil(total load / target per replica), with the
//      HPA's tolerance band and its conservative handling of replicas without metrics (none when
//      scaling up, at target when scaling down); starting replicas count as replicas, so a
//      scale-up is not repeated while its pods load the model.
//   2. The largest recommendation wins, clamped to [minReplicas, maxReplicas] and remembered.
//      With no ready replica's metrics it holds the current count (less stuck replicas) and
//      remembers nothing, as the HPA skips a failed read.
//   3. Stabilization windows (scaling_behavior.h): up to the lowest recommendation of the up
//      window, down to the highest of the down window. Unlike the HPA, a fresh autoscaler (an
//      operator restart, a new leader) does not scale down during its first down window: it has
//      not seen the load that sized the fleet, and a replica removed costs minutes to bring back.
//   4. Rate policies: at most so many pods or percent per period in each direction. Removing
//      stuck replicas is free: the ReplicaSet deletes unscheduled pods first.
//   5. Stuck replicas (unschedulable or failing) never count as load or capacity, so they never
//      block a scale-down; while any exists the count does not go above the current one (more
//      replicas would not schedule either), reported in Decision::scale_up_blocked.
//   6. [minReplicas, maxReplicas] again: a changed spec applies at once, past any window.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "autoscaling/replica_sample.h"
#include "autoscaling/scaling_behavior.h"
#include "autoscaling/scaling_spec.h"
#include "autoscaling/signal_recommendation.h"

namespace autoscaling {

// What the autoscaler remembers between decisions for one InferenceService. Start from {}.
struct AutoscalerState {
  std::vector<Recommendation> recommendations;  // those within the longest window
  std::vector<ScaleEvent> scale_events;         // those within the longest policy period
  std::optional<Clock::time_point> last_scale_time;
  std::optional<Clock::time_point> started;  // the first decision
};

struct DecisionInput {
  Clock::time_point now;
  int current_replicas = 0;             // the Deployment's spec.replicas
  std::vector<ReplicaSample> replicas;  // its pods, terminating ones left out
};

// The step that last held the desired count away from what the signals asked for.
enum class Limit {
  kNone,
  kMinReplicas,
  kMaxReplicas,
  kUpStabilization,
  kDownStabilization,
  kUpRate,
  kDownRate,
  kStuckReplicas,
};

struct Decision {
  int current = 0;
  int desired = 0;
  int recommended = 0;  // the winning signal's count clamped to [min, max], before 3.-6.
  // The signal whose recommendation won; none when no ready replica had metrics.
  std::optional<SignalReading> driver;
  std::vector<SignalReading> signals;
  ReplicaCounts counts;
  Limit limited_by = Limit::kNone;
  // Stuck replicas kept the count below what the load asks for: worth an Event.
  bool scale_up_blocked = false;
  AutoscalerState state;  // pass to the next decision

  bool changed() const { return desired != current; }
};

// Throws std::invalid_argument for an invalid spec or a negative current_replicas. The samples
// come from the network: unusable metrics count as missing, never as an error.
Decision decide(const ScalingSpec& spec, const DecisionInput& input, const AutoscalerState& state);

// One line for an Event or a log: "scaled 1→3: queue 14 over target 4 per replica".
std::string describe(const Decision& decision);

}  // namespace autoscaling
