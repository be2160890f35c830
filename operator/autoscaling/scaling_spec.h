// What the queue-depth autoscaler aims for and how fast it may move: an InferenceService's
// spec.scaling, plus the behaviour the CRD does not expose (tolerance, rate policies), whose
// defaults are chosen for LLM replicas that take minutes to download and load a model:
//
//   tolerance    0.1: no change while every signal is within 10% of its target.
//   scale up     no stabilization window (CRD default 0): a burst is answered at the next poll;
//                at most max(4 pods, 100%) added per 15 s, as the HPA allows.
//   scale down   300 s window (CRD default): only down to the highest recommendation of the last
//                5 minutes; then at most max(1 pod, 20%) removed per 60 s, because a replica
//                removed too early costs minutes of cold start when the load returns.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

namespace autoscaling {

// Monotonic time; tests pass any time_point (a fake clock).
using Clock = std::chrono::steady_clock;

enum class PolicyKind {
  kPods,     // add or remove at most `value` replicas per period
  kPercent,  // add or remove at most `value`% of the replicas at the start of the period
};

struct RatePolicy {
  PolicyKind kind = PolicyKind::kPods;
  int value = 1;
  std::chrono::seconds period{15};
};

// Which policy applies when several are listed: kMax the one allowing the largest change, kMin
// the smallest, kDisabled forbids scaling in this direction.
enum class PolicySelect { kMax, kMin, kDisabled };

struct DirectionBehavior {
  // Scale up to the lowest, or down to the highest, recommendation made within this window.
  std::chrono::seconds stabilization{0};
  std::vector<RatePolicy> policies;  // empty: no rate limit
  PolicySelect select = PolicySelect::kMax;
};

DirectionBehavior default_scale_up();
DirectionBehavior default_scale_down();

struct ScalingSpec {
  int min_replicas = 1;  // >= 1: with no replica there is no queue to measure
  int max_replicas = 4;
  // Targets per replica; the largest replica count any configured target asks for wins.
  double target_waiting = 4;                    // vllm:num_requests_waiting
  std::optional<double> target_running;         // vllm:num_requests_running
  std::optional<double> target_kv_cache_usage;  // vllm:kv_cache_usage_perc, in (0, 1]
  // Sequences one replica runs at once (engine.maxNumSeqs). When set, the queue signal never
  // recommends fewer replicas than can run today's requests without queueing more than the
  // target: scaling down on an empty queue alone would push running requests back into the
  // queue and scale up again, a flap under steady load.
  std::optional<double> replica_concurrency;
  double tolerance = 0.1;
  DirectionBehavior scale_up = default_scale_up();
  DirectionBehavior scale_down = default_scale_down();
};

// Throws std::invalid_argument naming the field for a spec the algorithm cannot use.
void validate(const ScalingSpec& spec);

// The ScalingSpec of an InferenceService's spec object (spec.scaling with the CRD's defaults,
// spec.engine.maxNumSeqs as replica_concurrency); validated. Throws std::invalid_argument.
ScalingSpec scaling_spec_from_resource(const nlohmann::json& isvc_spec);

}  // namespace autoscaling
