// The PodDisruptionBudget of an InferenceService's replicas (policy/v1).
//
// maxUnavailable 1, not a minAvailable: with a single replica a minAvailable of 1 would block
// every node drain forever, while maxUnavailable 1 lets drains evict one replica at a time and
// waits for its replacement to be Ready (download and load included) before the next, so a
// multi-replica service keeps all but one replica through node maintenance.
// unhealthyPodEvictionPolicy AlwaysAllow: a replica that is not Ready (still loading, or crash
// looping) serves nothing, so evicting it costs no capacity and must not hold up a drain.
#pragma once

#include <nlohmann/json.hpp>

namespace resources {

nlohmann::json pod_disruption_budget(const nlohmann::json& isvc);

}  // namespace resources
