#include "autoscaling/signal_recommendation.h"

#include <algorithm>
#include <cmath>

namespace autoscaling {

namespace {

// Ratios and needs are sums of gauges divided by targets; the slack keeps a count that is
// whole in exact arithmetic (12 / 4) from rounding up to the next replica.
constexpr double kSlack = 1e-9;

// Absurd gauges (1e300 waiting) must not overflow the count; maxReplicas clamps it later.
constexpr double kMostReplicas = 1e9;

int whole_replicas(double need) {
  return static_cast<int>(std::ceil(std::min(need, kMostReplicas) - kSlack));
}

double need_in_replicas(Signal signal, const ScalingSpec& spec, const EngineLoad& sum) {
  switch (signal) {
    case Signal::kQueueDepth: {
      const double target = spec.target_waiting;
      double need = sum.waiting / target;
      // m replicas run at most m * concurrency requests; the rest waits. The smallest m whose
      // queue stays within target is max(waiting / target, (waiting + running) /
      // (target + concurrency)).
      if (spec.replica_concurrency) {
        need = std::max(need, (sum.waiting + sum.running) / (target + *spec.replica_concurrency));
      }
      return need;
    }
    case Signal::kRunning:
      return sum.running / *spec.target_running;
    case Signal::kKvCacheUsage:
      return sum.kv_cache_usage / *spec.target_kv_cache_usage;
  }
  return 0;
}

double total_of(Signal signal, const EngineLoad& sum) {
  switch (signal) {
    case Signal::kQueueDepth:
      return sum.waiting;
    case Signal::kRunning:
      return sum.running;
    case Signal::kKvCacheUsage:
      return sum.kv_cache_usage;
  }
  return 0;
}

SignalReading read_signal(Signal signal, double target, const ScalingSpec& spec,
                          const ReplicaCounts& counts, const EngineLoad& sum) {
  SignalReading reading;
  reading.signal = signal;
  reading.target = target;
  reading.total = total_of(signal, sum);
  reading.reporting = counts.reporting;
  const int hold = std::min(counts.current, counts.counted());
  reading.recommended = hold;
  if (counts.reporting == 0) return reading;

  const double need = need_in_replicas(signal, spec, sum);
  const double tolerance = spec.tolerance + kSlack;
  const auto within = [&](double ratio) { return std::abs(ratio - 1) <= tolerance; };
  const double ratio = need / counts.reporting;
  const int unmeasured = counts.counted() - counts.reporting;
  reading.outcome = SignalOutcome::kWithinTolerance;
  if (within(ratio)) return reading;

  if (ratio > 1) {
    const double adjusted = need / counts.counted();
    if (adjusted < 1 || within(adjusted)) return reading;
    reading.outcome = SignalOutcome::kScaleUp;
    reading.recommended = std::max(hold, whole_replicas(need));
  } else {
    const double adjusted = (need + unmeasured) / counts.counted();
    if (adjusted > 1 || within(adjusted)) return reading;
    reading.outcome = SignalOutcome::kScaleDown;
    reading.recommended = std::min(hold, whole_replicas(need + unmeasured));
  }
  return reading;
}

}  // namespace

std::string_view signal_name(Signal signal) {
  switch (signal) {
    case Signal::kQueueDepth:
      return "queue";
    case Signal::kRunning:
      return "running";
    case Signal::kKvCacheUsage:
      return "KV cache";
  }
  return "signal";
}

std::vector<SignalReading> read_signals(const ScalingSpec& spec, const ReplicaCounts& counts,
                                        std::span<const ReplicaSample> replicas) {
  EngineLoad sum;
  for (const ReplicaSample& replica : replicas) {
    if (const auto load = usable_load(replica)) {
      sum.waiting += load->waiting;
      sum.running += load->running;
      sum.kv_cache_usage += load->kv_cache_usage;
    }
  }
  std::vector<SignalReading> readings;
  readings.push_back(read_signal(Signal::kQueueDepth, spec.target_waiting, spec, counts, sum));
  if (spec.target_running) {
    readings.push_back(read_signal(Signal::kRunning, *spec.target_running, spec, counts, sum));
  }
  if (spec.target_kv_cache_usage) {
    readings.push_back(
        read_signal(Signal::kKvCacheUsage, *spec.target_kv_cache_usage, spec, counts, sum));
  }
  return readings;
}

}  // namespace autoscaling
