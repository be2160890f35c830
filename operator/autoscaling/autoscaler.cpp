#include "autoscaling/autoscaler.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace autoscaling {

namespace {

std::chrono::seconds longest_period(const ScalingSpec& spec) {
  std::chrono::seconds longest{0};
  for (const DirectionBehavior* behavior : {&spec.scale_up, &spec.scale_down}) {
    for (const RatePolicy& policy : behavior->policies) longest = std::max(longest, policy.period);
  }
  return longest;
}

template <typename Entry>
std::vector<Entry> recent(const std::vector<Entry>& entries, Clock::time_point now,
                          std::chrono::seconds keep) {
  std::vector<Entry> kept;
  for (const Entry& entry : entries) {
    if (entry.time > now - keep) kept.push_back(entry);
  }
  return kept;
}

// The highest recommendation, preferring a signal that had data so the Event names a measurement.
std::optional<SignalReading> winning_signal(const std::vector<SignalReading>& signals) {
  std::optional<SignalReading> best;
  for (const SignalReading& reading : signals) {
    if (reading.outcome == SignalOutcome::kNoData) continue;
    if (!best || reading.recommended > best->recommended) best = reading;
  }
  return best;
}

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.2f", value);
  std::string out = text;
  out.erase(out.find_last_not_of('0') + 1);
  if (out.back() == '.') out.pop_back();
  return out;
}

const char* comparison(SignalOutcome outcome) {
  switch (outcome) {
    case SignalOutcome::kScaleUp:
      return "over";
    case SignalOutcome::kScaleDown:
      return "under";
    default:
      return "within tolerance of";
  }
}

const char* limit_text(Limit limit) {
  switch (limit) {
    case Limit::kNone:
      return nullptr;
    case Limit::kMinReplicas:
      return "held at minReplicas";
    case Limit::kMaxReplicas:
      return "held at maxReplicas";
    case Limit::kUpStabilization:
      return "waiting out the scale-up stabilization window";
    case Limit::kDownStabilization:
      return "waiting out the scale-down stabilization window";
    case Limit::kUpRate:
      return "limited by the scale-up rate policy";
    case Limit::kDownRate:
      return "limited by the scale-down rate policy";
    case Limit::kStuckReplicas:
      return nullptr;  // said by scale_up_blocked
  }
  return nullptr;
}

}  // namespace

Decision decide(const ScalingSpec& spec, const DecisionInput& input, const AutoscalerState& state) {
  validate(spec);
  if (input.current_replicas < 0) {
    throw std::invalid_argument("autoscaler: current replicas must not be negative");
  }
  Decision decision;
  const int current = input.current_replicas;
  const Clock::time_point now = input.now;
  decision.current = current;
  decision.counts = count_replicas(current, input.replicas);
  decision.signals = read_signals(spec, decision.counts, input.replicas);
  decision.driver = winning_signal(decision.signals);

  // Without data a signal recommends holding.
  int raw = 0;
  for (const SignalReading& reading : decision.signals) raw = std::max(raw, reading.recommended);
  const int recommended = std::clamp(raw, spec.min_replicas, spec.max_replicas);
  decision.recommended = recommended;
  Limit limit = raw < spec.min_replicas   ? Limit::kMinReplicas
                : raw > spec.max_replicas ? Limit::kMaxReplicas
                                          : Limit::kNone;

  AutoscalerState next;
  next.recommendations =
      recent(state.recommendations, now,
             std::max(spec.scale_up.stabilization, spec.scale_down.stabilization));
  // A poll without any measurement is no recommendation (as the HPA skips a failed read).
  if (decision.driver) next.recommendations.push_back({now, recommended});
  next.scale_events = recent(state.scale_events, now, longest_period(spec));
  next.last_scale_time = state.last_scale_time;
  next.started = state.started.value_or(now);

  int desired = stabilize(current, recommended, now, spec, next.recommendations);
  if (desired < recommended && recommended > current) limit = Limit::kUpStabilization;
  if (desired > recommended && recommended < current) limit = Limit::kDownStabilization;
  if (desired < current && now - *next.started < spec.scale_down.stabilization) {
    desired = current;
    limit = Limit::kDownStabilization;
  }

  if (desired > current) {
    const int most = scale_up_limit(spec.scale_up, current, now, next.scale_events);
    if (desired > most) {
      desired = std::max(current, most);
      limit = Limit::kUpRate;
    }
  } else if (desired < current) {
    int fewest = scale_down_limit(spec.scale_down, current, now, next.scale_events);
    if (spec.scale_down.select != PolicySelect::kDisabled) fewest -= decision.counts.stuck;
    if (desired < fewest) {
      desired = std::min(current, fewest);
      limit = Limit::kDownRate;
    }
  }

  decision.scale_up_blocked = decision.counts.stuck > 0 && recommended > current;
  if (decision.scale_up_blocked && desired > current) {
    desired = current;
    limit = Limit::kStuckReplicas;
  }

  const int bounded = std::clamp(desired, spec.min_replicas, spec.max_replicas);
  if (bounded != desired) {
    limit = bounded < desired ? Limit::kMaxReplicas : Limit::kMinReplicas;
    desired = bounded;
  }

  decision.desired = desired;
  decision.limited_by = desired == raw ? Limit::kNone : limit;
  if (desired != current) {
    next.scale_events.push_back({now, desired - current});
    next.last_scale_time = now;
  }
  decision.state = std::move(next);
  return decision;
}

std::string describe(const Decision& decision) {
  std::string line = decision.changed() ? "scaled " + std::to_string(decision.current) + "→" +
                                              std::to_string(decision.desired)
                                        : "held at " + std::to_string(decision.current);
  if (decision.driver) {
    const SignalReading& driver = *decision.driver;
    line += ": " + std::string(signal_name(driver.signal)) + " " + number(driver.total) + " " +
            comparison(driver.outcome) + " target " + number(driver.target) + " per replica";
    if (driver.reporting > 1) {
      line +=
          " (" + number(driver.average()) + " on each of " + std::to_string(driver.reporting) + ")";
    }
  } else {
    line += ": no metrics from ready replicas";
  }
  if (const char* why = limit_text(decision.limited_by)) line += "; " + std::string(why);
  if (decision.scale_up_blocked) {
    line += "; not scaling up while " + std::to_string(decision.counts.stuck) +
            " replica(s) cannot start (unschedulable or failing)";
  }
  return line;
}

}  // namespace autoscaling
