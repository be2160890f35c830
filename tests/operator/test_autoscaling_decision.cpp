// One autoscaler decision at a time, with no windows or rate policies unless a test sets them:
// the per-signal arithmetic, replicas without metrics, starting and stuck replicas, clamps,
// several signals, the remembered state and the Event text.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "autoscaling/autoscaler.h"

namespace {

using autoscaling::Clock;
using autoscaling::Decision;
using autoscaling::EngineLoad;
using autoscaling::Limit;
using autoscaling::ReplicaPhase;
using autoscaling::ReplicaSample;
using autoscaling::ScalingSpec;
using autoscaling::Signal;
using autoscaling::SignalOutcome;
using Samples = std::vector<ReplicaSample>;
using namespace std::chrono_literals;

const Clock::time_point kNow = Clock::time_point{} + 10h;

// Decisions take effect at once: no stabilization window, no rate policy.
ScalingSpec instant(int max_replicas = 10) {
  ScalingSpec spec;
  spec.max_replicas = max_replicas;
  spec.scale_up = {0s, {}, autoscaling::PolicySelect::kMax};
  spec.scale_down = {0s, {}, autoscaling::PolicySelect::kMax};
  return spec;
}

ReplicaSample ready(double waiting, double running = 0, double kv = 0) {
  return {ReplicaPhase::kReady, EngineLoad{waiting, running, kv}};
}
ReplicaSample unread() { return {ReplicaPhase::kReady, std::nullopt}; }
ReplicaSample starting() { return {ReplicaPhase::kStarting, std::nullopt}; }
ReplicaSample stuck() { return {ReplicaPhase::kStuck, std::nullopt}; }

// `count` ready replicas sharing `total` waiting requests.
Samples sharing(int count, double total) { return Samples(count, ready(total / count)); }

Decision decide_once(const ScalingSpec& spec, int current, const Samples& samples) {
  return autoscaling::decide(spec, {kNow, current, samples}, {});
}

TEST(AutoscalingDecision, DesiredIsTotalQueueOverTargetRoundedUp) {
  EXPECT_EQ(decide_once(instant(), 1, sharing(1, 12)).desired, 3);
  EXPECT_EQ(decide_once(instant(), 1, sharing(1, 12.5)).desired, 4);
  EXPECT_EQ(decide_once(instant(), 4, sharing(4, 8)).desired, 2);
  const Decision idle = decide_once(instant(), 4, sharing(4, 0));
  EXPECT_EQ(idle.desired, 1);
  EXPECT_EQ(idle.limited_by, Limit::kMinReplicas);
  EXPECT_EQ(idle.driver->recommended, 0);
}

TEST(AutoscalingDecision, ToleranceBandHoldsWithinTenPercent) {
  EXPECT_EQ(decide_once(instant(), 3, sharing(3, 13)).desired, 3);    // 1.083 of target
  EXPECT_EQ(decide_once(instant(), 3, sharing(3, 11)).desired, 3);    // 0.917
  EXPECT_EQ(decide_once(instant(), 3, sharing(3, 13.6)).desired, 4);  // 1.133
  EXPECT_EQ(decide_once(instant(), 3, sharing(3, 8)).desired, 2);     // 0.667
  EXPECT_EQ(decide_once(instant(), 3, sharing(3, 12.4)).desired, 3);
  ScalingSpec exact = instant();
  exact.tolerance = 0;
  EXPECT_EQ(decide_once(exact, 3, sharing(3, 12.4)).desired, 4);
  EXPECT_EQ(decide_once(exact, 3, sharing(3, 12)).desired, 3);
}

TEST(AutoscalingDecision, MissingMetricsCountAsNoLoadWhenScalingUp) {
  // Two replicas at 5 (1.25 of target), two unread: as 0 the average is 0.625, the direction
  // reverses, so it holds.
  const Decision held = decide_once(instant(), 4, {ready(5), ready(5), unread(), unread()});
  EXPECT_EQ(held.desired, 4);
  EXPECT_EQ(held.signals[0].outcome, SignalOutcome::kWithinTolerance);
  EXPECT_EQ(held.counts.missing, 2);
  EXPECT_EQ(decide_once(instant(), 4, sharing(4, 20)).desired, 5);  // all read: up
  // Load high enough to scale up even with the unread ones at 0.
  EXPECT_EQ(decide_once(instant(), 4, {ready(12), ready(12), unread(), unread()}).desired, 6);
}

TEST(AutoscalingDecision, MissingMetricsCountAsAtTargetWhenScalingDown) {
  EXPECT_EQ(decide_once(instant(), 4, {ready(0), ready(0), unread(), unread()}).desired, 2);
  EXPECT_EQ(decide_once(instant(), 4, sharing(4, 0)).desired, 1);
}

TEST(AutoscalingDecision, UnusableGaugesCountAsMissing) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Decision decision = decide_once(instant(), 3, {ready(nan), ready(-1), ready(0, 0, 0)});
  EXPECT_EQ(decision.counts.reporting, 1);
  EXPECT_EQ(decision.counts.missing, 2);
  EXPECT_EQ(decision.desired, 2);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(decide_once(instant(), 1, {ready(0, inf, 0)}).counts.missing, 1);
}

TEST(AutoscalingDecision, GaugesWhoseSumOverflowsScaleToMaxReplicas) {
  const double huge = std::numeric_limits<double>::max() / 2;
  const Decision decision = decide_once(instant(10), 3, Samples(3, ready(huge, huge, 1)));
  EXPECT_EQ(decision.counts.reporting, 3);
  EXPECT_EQ(decision.desired, 10);
  EXPECT_EQ(decision.limited_by, Limit::kMaxReplicas);
}

TEST(AutoscalingDecision, NoMetricsAtAllHoldsAndRemembersNothing) {
  const Decision decision = decide_once(instant(), 3, {unread(), starting(), unread()});
  EXPECT_EQ(decision.desired, 3);
  EXPECT_EQ(decision.driver, std::nullopt);
  EXPECT_EQ(decision.signals[0].outcome, SignalOutcome::kNoData);
  EXPECT_TRUE(decision.state.recommendations.empty());
  EXPECT_EQ(autoscaling::describe(decision), "held at 3: no metrics from ready replicas");
}

TEST(AutoscalingDecision, StartingReplicasCountSoAScaleUpIsNotRepeated) {
  // Scaled 1 -> 3 for 12 waiting; two replicas still load the model.
  const Decision decision = decide_once(instant(), 3, {ready(12), starting(), starting()});
  EXPECT_EQ(decision.desired, 3);
  EXPECT_EQ(decision.counts.starting, 2);
  // Replicas asked for that have no pod yet count the same way.
  const Decision unlisted = decide_once(instant(), 3, {ready(12)});
  EXPECT_EQ(unlisted.desired, 3);
  EXPECT_EQ(unlisted.counts.starting, 2);
  // The queue grew 7% meanwhile: within tolerance of the 3 replicas asked for, not of the 1
  // serving, so no second scale-up.
  EXPECT_EQ(decide_once(instant(), 3, {ready(12.8), starting(), starting()}).desired, 3);
  EXPECT_EQ(decide_once(instant(), 1, {ready(12.8)}).desired, 4);
  // A load that grew past what the starting replicas will take still scales up.
  EXPECT_EQ(decide_once(instant(), 3, {ready(20), starting(), starting()}).desired, 5);
}

TEST(AutoscalingDecision, StartingReplicasCountAsAtTargetWhenScalingDown) {
  EXPECT_EQ(decide_once(instant(), 3, {ready(0), starting(), starting()}).desired, 2);
}

TEST(AutoscalingDecision, StuckReplicasNeverBlockAScaleDown) {
  EXPECT_EQ(decide_once(instant(), 4, {ready(0), ready(0), stuck(), stuck()}).desired, 1);
  // The ready ones at target: the stuck one is not needed.
  const Decision decision = decide_once(instant(), 3, {ready(4), ready(4), stuck()});
  EXPECT_EQ(decision.desired, 2);
  EXPECT_FALSE(decision.scale_up_blocked);
}

TEST(AutoscalingDecision, StuckReplicasCapAScaleUpAndSaySo) {
  const Decision decision = decide_once(instant(), 3, {ready(40), stuck(), stuck()});
  EXPECT_EQ(decision.recommended, 10);
  EXPECT_EQ(decision.desired, 3);
  EXPECT_TRUE(decision.scale_up_blocked);
  EXPECT_EQ(decision.limited_by, Limit::kStuckReplicas);
  EXPECT_EQ(autoscaling::describe(decision),
            "held at 3: queue 40 over target 4 per replica; not scaling up while 2 replica(s) "
            "cannot start (unschedulable or failing)");
}

TEST(AutoscalingDecision, StuckReplicasAreRemovedBeyondTheDownRatePolicy) {
  ScalingSpec spec;
  spec.scale_down = {
      0s, {{autoscaling::PolicyKind::kPods, 1, 60s}}, autoscaling::PolicySelect::kMax};
  spec.max_replicas = 8;
  const Decision decision =
      decide_once(spec, 6, {ready(0), ready(0), ready(0), stuck(), stuck(), stuck()});
  EXPECT_EQ(decision.desired, 2);  // 3 stuck + 1 serving replica
  EXPECT_EQ(decision.limited_by, Limit::kDownRate);
}

TEST(AutoscalingDecision, MinAndMaxApplyAtOncePastWindowsAndPolicies) {
  ScalingSpec spec;  // default windows and policies
  spec.max_replicas = 4;
  const Decision lowered = decide_once(spec, 10, sharing(10, 40));
  EXPECT_EQ(lowered.desired, 4);
  const Decision empty = decide_once(spec, 0, {});
  EXPECT_EQ(empty.desired, 1);
  EXPECT_EQ(empty.limited_by, Limit::kMinReplicas);
  spec.min_replicas = 3;
  EXPECT_EQ(decide_once(spec, 1, sharing(1, 4)).desired, 3);
  const Decision burst = decide_once(instant(4), 2, sharing(2, 100));
  EXPECT_EQ(burst.desired, 4);
  EXPECT_EQ(burst.limited_by, Limit::kMaxReplicas);
}

TEST(AutoscalingDecision, LargestSignalWins) {
  ScalingSpec spec = instant();
  spec.target_running = 10;
  spec.target_kv_cache_usage = 0.8;
  // Queue 2 (0.5 replica), running 60 (6), KV 1.8 (2.25 -> 3).
  const Decision decision = decide_once(spec, 2, {ready(1, 30, 0.9), ready(1, 30, 0.9)});
  ASSERT_EQ(decision.signals.size(), 3u);
  EXPECT_EQ(decision.signals[0].recommended, 1);
  EXPECT_EQ(decision.signals[1].recommended, 6);
  EXPECT_EQ(decision.signals[2].recommended, 3);
  EXPECT_EQ(decision.desired, 6);
  EXPECT_EQ(decision.driver->signal, Signal::kRunning);
  EXPECT_EQ(autoscaling::describe(decision),
            "scaled 2→6: running 60 over target 10 per replica (30 on each of 2)");

  spec.target_kv_cache_usage = 0.6;
  const Decision kv = decide_once(spec, 2, {ready(0, 5, 0.9), ready(0, 5, 0.9)});
  EXPECT_EQ(kv.desired, 3);
  EXPECT_EQ(kv.driver->signal, Signal::kKvCacheUsage);
}

TEST(AutoscalingDecision, ASignalThatHoldsBlocksAnotherThatWouldScaleDown) {
  ScalingSpec spec = instant();
  spec.target_running = 10;
  // The queue is empty (down to 1) but running is at target for 3 replicas.
  const Decision decision = decide_once(spec, 3, Samples(3, ready(0, 10)));
  EXPECT_EQ(decision.signals[0].recommended, 0);
  EXPECT_EQ(decision.desired, 3);
}

TEST(AutoscalingDecision, CapacityRuleKeepsTheReplicasRunningRequestsNeed) {
  ScalingSpec spec = instant();
  spec.replica_concurrency = 64;
  // 100 running on 2 replicas of 64, none waiting: 1 replica would queue 36.
  EXPECT_EQ(decide_once(spec, 2, Samples(2, ready(0, 50))).desired, 2);
  // 40 running: one replica runs them all.
  EXPECT_EQ(decide_once(spec, 2, Samples(2, ready(0, 20))).desired, 1);
  spec.replica_concurrency.reset();
  EXPECT_EQ(decide_once(spec, 2, Samples(2, ready(0, 50))).desired, 1);
}

TEST(AutoscalingDecision, DescribesTheChangeForAnEvent) {
  EXPECT_EQ(autoscaling::describe(decide_once(instant(), 1, sharing(1, 12))),
            "scaled 1→3: queue 12 over target 4 per replica");
  EXPECT_EQ(autoscaling::describe(decide_once(instant(), 3, sharing(3, 12.3))),
            "held at 3: queue 12.3 within tolerance of target 4 per replica (4.1 on each of 3)");
  EXPECT_EQ(autoscaling::describe(decide_once(instant(), 4, sharing(4, 2))),
            "scaled 4→1: queue 2 under target 4 per replica (0.5 on each of 4)");
  ScalingSpec limited;
  limited.max_replicas = 10;
  EXPECT_EQ(autoscaling::describe(decide_once(limited, 1, sharing(1, 40))),
            "scaled 1→5: queue 40 over target 4 per replica; limited by the scale-up rate policy");
}

TEST(AutoscalingDecision, RemembersRecommendationsAndScaleEventsWithinTheirWindows) {
  ScalingSpec spec;  // up: 15 s periods; down: 300 s window, 60 s periods
  spec.max_replicas = 8;
  autoscaling::AutoscalerState state;
  const Decision first = autoscaling::decide(spec, {kNow, 1, sharing(1, 12)}, state);
  EXPECT_EQ(first.desired, 3);
  EXPECT_EQ(first.state.last_scale_time, kNow);
  EXPECT_EQ(first.state.started, kNow);
  ASSERT_EQ(first.state.scale_events.size(), 1u);
  EXPECT_EQ(first.state.scale_events[0].change, 2);
  ASSERT_EQ(first.state.recommendations.size(), 1u);
  EXPECT_EQ(first.state.recommendations[0].replicas, 3);

  // 301 s later the first recommendation and scale event have left every window.
  const Decision later = autoscaling::decide(spec, {kNow + 301s, 3, sharing(3, 12)}, first.state);
  EXPECT_EQ(later.desired, 3);
  ASSERT_EQ(later.state.recommendations.size(), 1u);
  EXPECT_EQ(later.state.recommendations[0].time, kNow + 301s);
  EXPECT_TRUE(later.state.scale_events.empty());
  EXPECT_EQ(later.state.last_scale_time, kNow);
  EXPECT_EQ(later.state.started, kNow);
}

TEST(AutoscalingDecision, AFreshAutoscalerKeepsTheReplicasItFindsForOneDownWindow) {
  ScalingSpec spec;
  spec.max_replicas = 8;
  const Decision fresh = decide_once(spec, 4, sharing(4, 0));
  EXPECT_EQ(fresh.desired, 4);
  EXPECT_EQ(fresh.limited_by, Limit::kDownStabilization);
  autoscaling::AutoscalerState old;
  old.started = kNow - 300s;
  EXPECT_EQ(autoscaling::decide(spec, {kNow, 4, sharing(4, 0)}, old).desired, 3);
}

TEST(AutoscalingDecision, IsDeterministic) {
  ScalingSpec spec;
  spec.target_running = 8;
  const Samples samples{ready(3, 9, 0.5), unread(), starting(), stuck(), ready(7, 2, 0.1)};
  const Decision a = decide_once(spec, 5, samples);
  const Decision b = decide_once(spec, 5, samples);
  EXPECT_EQ(a.desired, b.desired);
  EXPECT_EQ(autoscaling::describe(a), autoscaling::describe(b));
  EXPECT_EQ(a.state.recommendations.size(), b.state.recommendations.size());
}

TEST(AutoscalingDecision, RejectsAnInvalidSpecOrReplicaCount) {
  ScalingSpec zero = instant();
  zero.min_replicas = 0;
  EXPECT_THROW(decide_once(zero, 1, {}), std::invalid_argument);
  EXPECT_THROW(decide_once(instant(), -1, {}), std::invalid_argument);
}

}  // namespace
