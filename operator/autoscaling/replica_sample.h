// What the autoscaler knows about each replica (engine pod) at one poll, and the counts the
// algorithm works from.
#pragma once

#include <optional>
#include <span>

#include "resources/pod_state.h"

namespace autoscaling {

enum class ReplicaPhase {
  kReady,     // serving: its metrics, when read, are load
  kStarting,  // created, not Ready yet (scheduled, downloading, loading): capacity on its way
  kStuck,     // will not serve soon: unschedulable, or failing (crash loop, image pull, ...)
};

// The engine's gauges on one replica.
struct EngineLoad {
  double waiting = 0;         // vllm:num_requests_waiting
  double running = 0;         // vllm:num_requests_running
  double kv_cache_usage = 0;  // vllm:kv_cache_usage_perc, a fraction
};

struct ReplicaSample {
  ReplicaPhase phase = ReplicaPhase::kReady;
  // Absent when the scrape failed. A negative or non-finite gauge counts as absent too.
  std::optional<EngineLoad> load;
};

// The phase of a pod as classified by resources::classify_pod; nullopt for kGone (terminating or
// finished pods are left out, as the HPA ignores pods being deleted).
std::optional<ReplicaPhase> replica_phase(const resources::PodState& pod);

struct ReplicaCounts {
  int current = 0;    // the Deployment's spec.replicas: what has been asked for
  int reporting = 0;  // ready, with metrics
  int missing = 0;    // ready, metrics not read
  // Starting, plus replicas asked for that no pod stands for yet (the ReplicaSet has not created
  // them, or the pod list lags): both are capacity on its way.
  int starting = 0;
  int stuck = 0;
  // Replicas that serve or soon will: the ones load can be spread over.
  int counted() const { return reporting + missing + starting; }
};

ReplicaCounts count_replicas(int current, std::span<const ReplicaSample> replicas);

// A sample's load if it is usable: ready, read, every gauge finite and not negative.
std::optional<EngineLoad> usable_load(const ReplicaSample& replica);

}  // namespace autoscaling
