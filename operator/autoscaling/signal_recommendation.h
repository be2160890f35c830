// One replica count per configured signal, from one poll's samples: the HPA's per-metric
// calculation, with its conservative handling of replicas that have no metrics.
//
// A signal's need is the load it sees, in replicas: total waiting / targetQueueDepth (raised by
// the capacity rule of ScalingSpec::replica_concurrency), total running / targetRunning, total
// KV usage / targetKvCacheUsage, summed over the ready replicas with metrics. Then:
//   1. ratio = need / reporting replicas. Within the tolerance of 1: hold.
//   2. Above (tentative scale up): replicas without metrics (ready but unread, starting, asked
//      for but not created) count as carrying no load but as replicas, so a scale-up is not
//      repeated while its pods start: ratio = need / counted. Within tolerance or below: hold;
//      else ceil(need).
//   3. Below (tentative scale down): those replicas count as exactly at target, one replica of
//      need each, so a replica that is not measured is never removed for being idle:
//      ratio = (need + unmeasured) / counted. Within tolerance or above: hold; else
//      ceil(need + unmeasured).
// Hold means min(current, counted): stuck replicas (unschedulable, failing) carry no load and
// are never counted at target, so they never block a scale-down. No ready replica with metrics:
// no data, hold.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "autoscaling/replica_sample.h"
#include "autoscaling/scaling_spec.h"

namespace autoscaling {

enum class Signal { kQueueDepth, kRunning, kKvCacheUsage };

// "queue", "running", "KV cache": for Events ("queue 14 over target 4 per replica").
std::string_view signal_name(Signal signal);

enum class SignalOutcome { kNoData, kWithinTolerance, kScaleUp, kScaleDown };

struct SignalReading {
  Signal signal = Signal::kQueueDepth;
  double target = 0;  // per replica
  double total = 0;   // summed over the ready replicas with metrics
  int reporting = 0;  // how many those are
  SignalOutcome outcome = SignalOutcome::kNoData;
  int recommended = 0;  // replicas; not yet clamped to min/max

  // Per replica, over the replicas with metrics (0 when none).
  double average() const { return reporting > 0 ? total / reporting : 0; }
};

// The configured signals, queue depth first, then running, then KV cache usage.
std::vector<SignalReading> read_signals(const ScalingSpec& spec, const ReplicaCounts& counts,
                                        std::span<const ReplicaSample> replicas);

}  // namespace autoscaling
