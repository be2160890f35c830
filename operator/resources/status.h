// The InferenceService's status from what the cluster reports: the validation problems, the
// Deployment, the engine pods, the replica count the operator wants and, with scaling.mode
// queueDepth, what the autoscaler reported.
//
// phase: Failed for an invalid spec; otherwise Ready when a replica serves, else Failed when a
// pod or the Deployment fails, else the furthest stage a pod reached: Loading, Downloading,
// Pending.
// conditions (metav1.Condition: lastTransitionTime kept while the status stays the same):
//   Ready        True when at least one replica serves (any model version)
//   ModelReady   True when spec.model.uri is loaded on at least one Ready replica: during a
//                rollout to another model, Ready stays True on the old replicas while
//                ModelReady says how far the new model is
//   Progressing  True while the Deployment rolls out or scales; False when done or when the
//                rollout exceeded its progress deadline
//   Degraded     True when a pod or the Deployment fails, a pod cannot be scheduled, or the spec
//                is invalid
//   Scaled       (scaling.mode queueDepth) True when the replica count follows the load: reason
//                ScaledUp or ScaledDown with the numbers of the last change, Stable before one;
//                False when the autoscaler cannot do what the load asks: MetricsUnavailable,
//                ScaleUpBlocked (replicas stuck unschedulable or failing), MaxReplicasReached
// queueDepth and lastScaleTime come from the autoscaler too; until it has polled (a new leader)
// the recorded ones and the recorded Scaled condition are kept.
// lastFailure is the newest failure seen, kept after recovery; coldStartSeconds is the time from
// creation to Ready of the newest Ready pod whose engine never restarted, kept while there is
// none.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "resources/spec_validation.h"
#include "resources/timestamps.h"

namespace resources {

// The Scaled condition as the autoscaler last set it.
struct ScaledCondition {
  bool scaled = true;
  std::string reason;
  std::string message;
  bool operator==(const ScaledCondition&) const = default;
};

struct AutoscalingStatus {
  std::optional<double> queue_depth;  // waiting requests summed over replicas; none: not read
  std::optional<Clock::time_point> last_scale_time;
  ScaledCondition condition;
  bool operator==(const AutoscalingStatus&) const = default;
};

struct StatusInput {
  const nlohmann::json* isvc = nullptr;        // required: metadata (generation) and status
  std::vector<SpecProblem> problems;           // validate_spec() and refused applies
  const nlohmann::json* deployment = nullptr;  // with its status; nullptr when absent
  std::vector<nlohmann::json> pods;            // the InferenceService's engine pods
  int desired_replicas = 0;
  Clock::time_point now;
  std::optional<AutoscalingStatus> autoscaling;  // none: not polled yet, or another mode
};

// Throws std::invalid_argument when input.isvc is null.
nlohmann::json compute_status(const StatusInput& input);

}  // namespace resources
