// The replicas of one InferenceService as the autoscaler sees them at a poll: each engine pod's
// phase, and where its /metrics are served. Addresses come from the Service's EndpointSlices,
// not from the pods: an endpoint is what the Service routes to, so a replica is measured exactly
// when it takes traffic, on whichever port its "http" port resolves to.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "autoscaling/replica_sample.h"

namespace autoscaling {

struct ReplicaTarget {
  std::string pod;
  ReplicaPhase phase = ReplicaPhase::kStarting;
  // http://ADDRESS:PORT/metrics of a ready endpoint; none while the pod is not one (not yet
  // listed, or the endpoint is not ready), which the algorithm treats as missing metrics.
  std::optional<std::string> metrics_url;
};

// `pods`: the InferenceService's engine pods; `slices`: the EndpointSlices of its Service;
// `model_uri`: spec.model.uri (pod classification tells the current model from an old one).
// Terminating and finished pods are left out. Malformed slices or endpoints are skipped.
std::vector<ReplicaTarget> replica_targets(const std::vector<nlohmann::json>& pods,
                                           const std::vector<nlohmann::json>& slices,
                                           const std::string& model_uri);

}  // namespace autoscaling
