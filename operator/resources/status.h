// The InferenceService's status from what the cluster reports: the validation problems, the
// Deployment, the engine pods and the replica count the operator wants. Only the fields the
// operator computes are returned (not queueDepth, which the autoscaler writes).
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
// lastFailure is the newest failure seen, kept after recovery; coldStartSeconds is the time from
// creation to Ready of the newest Ready pod whose engine never restarted, kept while there is
// none.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "resources/spec_validation.h"
#include "resources/timestamps.h"

namespace resources {

struct StatusInput {
  const nlohmann::json* isvc = nullptr;        // required: metadata (generation) and status
  std::vector<SpecProblem> problems;           // validate_spec() and refused applies
  const nlohmann::json* deployment = nullptr;  // with its status; nullptr when absent
  std::vector<nlohmann::json> pods;            // the InferenceService's engine pods
  int desired_replicas = 0;
  Clock::time_point now;
};

// Throws std::invalid_argument when input.isvc is null.
nlohmann::json compute_status(const StatusInput& input);

}  // namespace resources
