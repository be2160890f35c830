#include "autoscaling/replica_sample.h"

#include <cmath>

namespace autoscaling {

std::optional<ReplicaPhase> replica_phase(const resources::PodState& pod) {
  switch (pod.stage) {
    case resources::PodStage::kReady:
      return ReplicaPhase::kReady;
    case resources::PodStage::kPending:
      return pod.unschedulable ? ReplicaPhase::kStuck : ReplicaPhase::kStarting;
    case resources::PodStage::kDownloading:
    case resources::PodStage::kLoading:
      return ReplicaPhase::kStarting;
    case resources::PodStage::kFailed:
      return ReplicaPhase::kStuck;
    case resources::PodStage::kGone:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<EngineLoad> usable_load(const ReplicaSample& replica) {
  if (replica.phase != ReplicaPhase::kReady || !replica.load) return std::nullopt;
  const EngineLoad& load = *replica.load;
  for (double gauge : {load.waiting, load.running, load.kv_cache_usage}) {
    if (!std::isfinite(gauge) || gauge < 0) return std::nullopt;
  }
  return load;
}

ReplicaCounts count_replicas(int current, std::span<const ReplicaSample> replicas) {
  ReplicaCounts counts;
  counts.current = current;
  for (const ReplicaSample& replica : replicas) {
    switch (replica.phase) {
      case ReplicaPhase::kReady:
        ++(usable_load(replica) ? counts.reporting : counts.missing);
        break;
      case ReplicaPhase::kStarting:
        ++counts.starting;
        break;
      case ReplicaPhase::kStuck:
        ++counts.stuck;
        break;
    }
  }
  const int listed = static_cast<int>(replicas.size());
  if (current > listed) counts.starting += current - listed;
  return counts;
}

}  // namespace autoscaling
