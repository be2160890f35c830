// The autoscaler on scripted load with a fake clock: polls every 5 s, replicas Ready a fixed
// time after they are asked for, defaults of scaling_spec.h (up: no window, max(4 pods, 100%)
// per 15 s; down: 300 s window, max(1 pod, 20%) per 60 s). Each test states the expected
// replica sequence as {seconds since start: replicas} changes.
#include <gtest/gtest.h>

#include <cmath>

#include "test_autoscaling_fleet.h"

namespace {

using autoscaling::Limit;
using autoscaling::ScalingSpec;
using autoscaling_test::Change;
using autoscaling_test::Fleet;
using autoscaling_test::served;
using autoscaling_test::waiting;
using Changes = std::vector<Change>;
using namespace std::chrono_literals;

ScalingSpec spec_with_max(int max_replicas) {
  ScalingSpec spec;
  spec.max_replicas = max_replicas;
  return spec;
}

TEST(AutoscalingScenario, SteadyLoadWithNoiseMakesNoChangeInAnHour) {
  Fleet fleet(spec_with_max(8), 3, 60s);
  // 12 waiting = 4 per replica, the target, with +-8% noise: inside the 10% tolerance.
  const auto noisy = [](int t) { return 12 * (1 + 0.08 * std::sin(t / 37.0)); };
  EXPECT_EQ(fleet.run(3600, waiting(noisy)), Changes{});
  EXPECT_EQ(fleet.replicas(), 3);
}

TEST(AutoscalingScenario, StepUpReachesTheNeededCountWithinTwoPolicyPeriods) {
  Fleet fleet(spec_with_max(10), 1, 60s);
  // 4 waiting (at target) until 30 s, then 40: ten replicas' worth. The first step is limited
  // to +4 pods (more than +100% of 1); 15 s later +100% of 5 reaches 10. The new replicas take
  // 60 s to start; counted as replicas meanwhile, they trigger no further scale-up.
  const auto load = [](int t) { return t < 30 ? 4.0 : 40.0; };
  EXPECT_EQ(fleet.run(600, waiting(load)), (Changes{{30, 5}, {45, 10}}));
}

TEST(AutoscalingScenario, StepUpWaitsOutAnUpStabilizationWindow) {
  ScalingSpec spec = spec_with_max(10);
  spec.scale_up.stabilization = 30s;
  Fleet fleet(spec, 1, 60s);
  const auto load = [](int t) { return t < 30 ? 4.0 : 40.0; };
  // Up to the lowest recommendation of the last 30 s: the last one for 1 (at 25 s) leaves the
  // window at 55 s, then the same policy steps as without a window.
  EXPECT_EQ(fleet.run(600, waiting(load)), (Changes{{55, 5}, {70, 10}}));
}

TEST(AutoscalingScenario, SpikeShorterThanTheDownWindowScalesDownOnlyAfterIt) {
  Fleet fleet(spec_with_max(8), 2, 30s);
  // 8 waiting on 2 replicas (at target); 24 for one minute from 100 s.
  const auto load = [](int t) { return t >= 100 && t < 160 ? 24.0 : 8.0; };
  // Up at once; the last recommendation of 6 (at 155 s) leaves the 300 s window at 455 s; then
  // max(1 pod, 20%) per minute: 6 -> 4 (20% of 6 rounds to 2 pods), 4 -> 3, 3 -> 2.
  EXPECT_EQ(fleet.run(900, waiting(load)), (Changes{{100, 6}, {455, 4}, {515, 3}, {575, 2}}));
}

TEST(AutoscalingScenario, SlowRampDownFollowsTheLoadOneWindowLate) {
  Fleet fleet(spec_with_max(8), 8);
  // 32 waiting (8 replicas' worth), one replica's worth less every 2 minutes, down to 4.
  const auto load = [](int t) { return 4.0 * std::max(1, 8 - t / 120); };
  // Each level k (from 120 * (8 - k) s) is the highest recommendation of the window 295 s later.
  EXPECT_EQ(fleet.run(1500, waiting(load)),
            (Changes{{415, 7}, {535, 6}, {655, 5}, {775, 4}, {895, 3}, {1015, 2}, {1135, 1}}));
}

TEST(AutoscalingScenario, OscillatingLoadScalesUpOnceAndNeverFlaps) {
  Fleet fleet(spec_with_max(8), 1, 30s);
  // 20 waiting for a minute, 4 the next, for an hour: every 300 s window holds a peak.
  const auto load = [](int t) { return (t / 60) % 2 == 0 ? 20.0 : 4.0; };
  EXPECT_EQ(fleet.run(3600, waiting(load)), (Changes{{0, 5}}));
}

TEST(AutoscalingScenario, LoadWithinTheToleranceBandNeverScales) {
  Fleet fleet(spec_with_max(8), 3);
  // 11 to 13 waiting on 3 replicas: 0.92 to 1.08 of the target.
  const auto load = [](int t) { return (t / 5) % 2 == 0 ? 11.0 : 13.0; };
  EXPECT_EQ(fleet.run(3600, waiting(load)), Changes{});
}

TEST(AutoscalingScenario, CapacityRuleKeepsSteadyConcurrencyFromFlapping) {
  // 150 requests in flight, 64 sequences per replica: 3 replicas run them all, none waits.
  const auto demand = [](int) { return 150.0; };
  ScalingSpec spec = spec_with_max(8);
  spec.replica_concurrency = 64;
  Fleet fleet(spec, 3, 30s);
  EXPECT_EQ(fleet.run(3600, served(demand, 64)), Changes{});

  // On the queue alone (the HPA's view) an empty queue scales down, the running requests spill
  // into the queue and it scales up again: 3 -> 2 at 300 s, 2 -> 6 at the next poll, and so on.
  spec.replica_concurrency.reset();
  Fleet naive(spec, 3, 30s);
  const Changes flaps = naive.run(3600, served(demand, 64));
  ASSERT_GE(flaps.size(), 4u);
  EXPECT_EQ(flaps[0], (Change{300, 2}));
  EXPECT_EQ(flaps[1], (Change{305, 6}));
}

TEST(AutoscalingScenario, ReplicasStartingForTwoMinutesAreNotScaledUpAgain) {
  Fleet fleet(spec_with_max(8), 1, 120s);
  // 12 waiting, then 12.8 on the one ready replica while two more load the model: the starting
  // ones count as replicas with no load, so the average, 12.8 / 3, stays within tolerance.
  const auto load = [](int t) { return t < 5 ? 12.0 : 12.8; };
  EXPECT_EQ(fleet.run(900, waiting(load)), (Changes{{0, 3}}));
}

TEST(AutoscalingScenario, ReplicasWithoutMetricsAreNeverScaledAwayForIdleness) {
  Fleet fleet(spec_with_max(8), 4);
  fleet.set_unreadable(2);
  // No load: the two unread replicas count as at target, so it keeps two. The first 300 s a
  // fresh autoscaler does not scale down.
  EXPECT_EQ(fleet.run(900, waiting([](int) { return 0.0; })), (Changes{{300, 3}, {360, 2}}));
  EXPECT_EQ(fleet.last().driver, std::nullopt);  // both remaining replicas are unread
}

TEST(AutoscalingScenario, UnschedulableReplicasCapScaleUpAndNeverBlockScaleDown) {
  Fleet fleet(spec_with_max(8), 1, 30s);
  fleet.set_room(2);  // the cluster fits two engine pods
  // 24 waiting asks for 6; the first step asks for 5, three of which cannot be scheduled, so it
  // asks for no more while they are stuck.
  EXPECT_EQ(fleet.run(600, waiting([](int) { return 24.0; })), (Changes{{0, 5}}));
  EXPECT_TRUE(fleet.last().scale_up_blocked);
  EXPECT_EQ(fleet.last().limited_by, Limit::kStuckReplicas);
  EXPECT_EQ(fleet.last().counts.stuck, 3);
  // The load drops to one replica's worth at 600 s: once the window has passed, the three stuck
  // replicas go at once with the one serving replica the policy allows.
  EXPECT_EQ(fleet.run(600, waiting([](int) { return 4.0; })), (Changes{{895, 1}}));
  EXPECT_FALSE(fleet.last().scale_up_blocked);
}

TEST(AutoscalingScenario, MaxReplicasCapsABurst) {
  Fleet fleet(spec_with_max(4), 1, 30s);
  EXPECT_EQ(fleet.run(600, waiting([](int) { return 100.0; })), (Changes{{0, 4}}));
  EXPECT_EQ(fleet.last().recommended, 4);
  EXPECT_EQ(fleet.last().driver->recommended, 25);
}

TEST(AutoscalingScenario, MinReplicasFloorsAnIdleService) {
  ScalingSpec spec = spec_with_max(8);
  spec.min_replicas = 2;
  Fleet fleet(spec, 3);
  EXPECT_EQ(fleet.run(900, waiting([](int) { return 0.0; })), (Changes{{300, 2}}));
  EXPECT_EQ(fleet.last().limited_by, Limit::kMinReplicas);
}

}  // namespace
