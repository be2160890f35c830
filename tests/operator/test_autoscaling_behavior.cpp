// Stabilization windows and rate policies (autoscaling/scaling_behavior.h), the spec read from
// an InferenceService, and pod states mapped to replica phases.
#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

#include "autoscaling/replica_sample.h"
#include "autoscaling/scaling_behavior.h"

namespace {

using autoscaling::Clock;
using autoscaling::DirectionBehavior;
using autoscaling::PolicyKind;
using autoscaling::PolicySelect;
using autoscaling::Recommendation;
using autoscaling::ScaleEvent;
using autoscaling::ScalingSpec;
using nlohmann::json;
using namespace std::chrono_literals;

const Clock::time_point kNow = Clock::time_point{} + 10h;
using Recs = std::vector<Recommendation>;
using Events = std::vector<ScaleEvent>;

TEST(AutoscalingBehavior, ScaleUpGoesToTheLowestRecommendationOfTheUpWindow) {
  ScalingSpec spec;
  spec.scale_up.stabilization = 30s;
  const std::vector<Recommendation> history{{kNow - 40s, 2}, {kNow - 20s, 3}, {kNow - 5s, 5}};
  EXPECT_EQ(autoscaling::stabilize(2, 6, kNow, spec, history), 3);  // 2 left the window
  EXPECT_EQ(autoscaling::stabilize(4, 6, kNow, spec, history), 4);  // 3 is below the current 4
  spec.scale_up.stabilization = 0s;
  EXPECT_EQ(autoscaling::stabilize(2, 6, kNow, spec, history), 6);
}

TEST(AutoscalingBehavior, ScaleDownGoesToTheHighestRecommendationOfTheDownWindow) {
  ScalingSpec spec;  // 300 s
  EXPECT_EQ(autoscaling::stabilize(4, 2, kNow, spec, Recs{{kNow - 200s, 5}}), 4);
  EXPECT_EQ(autoscaling::stabilize(4, 2, kNow, spec, Recs{{kNow - 200s, 3}}), 3);
  // A recommendation exactly one window old has left it.
  EXPECT_EQ(autoscaling::stabilize(4, 2, kNow, spec, Recs{{kNow - 300s, 5}}), 2);
  EXPECT_EQ(autoscaling::stabilize(4, 4, kNow, spec, {}), 4);
}

TEST(AutoscalingBehavior, DefaultScaleUpAllowsFourPodsOrDoublingPer15Seconds) {
  const DirectionBehavior up = autoscaling::default_scale_up();
  EXPECT_EQ(autoscaling::scale_up_limit(up, 1, kNow, {}), 5);
  EXPECT_EQ(autoscaling::scale_up_limit(up, 10, kNow, {}), 20);
  // 4 added 10 s ago: the period started at 1.
  EXPECT_EQ(autoscaling::scale_up_limit(up, 5, kNow, Events{{kNow - 10s, 4}}), 5);
  EXPECT_EQ(autoscaling::scale_up_limit(up, 5, kNow, Events{{kNow - 15s, 4}}), 10);
  // Scale-downs in the period do not count against scaling up.
  EXPECT_EQ(autoscaling::scale_up_limit(up, 5, kNow, Events{{kNow - 10s, -2}}), 10);
}

TEST(AutoscalingBehavior, DefaultScaleDownAllowsOnePodOrTwentyPercentPerMinute) {
  const DirectionBehavior down = autoscaling::default_scale_down();
  EXPECT_EQ(autoscaling::scale_down_limit(down, 10, kNow, {}), 8);
  EXPECT_EQ(autoscaling::scale_down_limit(down, 4, kNow, {}), 3);
  EXPECT_EQ(autoscaling::scale_down_limit(down, 2, kNow, {}), 1);
  // 2 removed 30 s ago from 10: the period's budget is spent.
  EXPECT_EQ(autoscaling::scale_down_limit(down, 8, kNow, Events{{kNow - 30s, -2}}), 8);
}

TEST(AutoscalingBehavior, PolicySelectionMinAndDisabled) {
  DirectionBehavior up = autoscaling::default_scale_up();
  up.select = PolicySelect::kMin;
  EXPECT_EQ(autoscaling::scale_up_limit(up, 10, kNow, {}), 14);
  up.select = PolicySelect::kDisabled;
  EXPECT_EQ(autoscaling::scale_up_limit(up, 10, kNow, {}), 10);
  up = {0s, {}, PolicySelect::kMax};
  EXPECT_EQ(autoscaling::scale_up_limit(up, 10, kNow, {}), std::numeric_limits<int>::max());

  DirectionBehavior down = autoscaling::default_scale_down();
  down.select = PolicySelect::kMin;
  EXPECT_EQ(autoscaling::scale_down_limit(down, 10, kNow, {}), 9);
  down.select = PolicySelect::kDisabled;
  EXPECT_EQ(autoscaling::scale_down_limit(down, 10, kNow, {}), 10);
  down = {0s, {{PolicyKind::kPercent, 100, 60s}}, PolicySelect::kMax};
  EXPECT_EQ(autoscaling::scale_down_limit(down, 10, kNow, {}), 0);
}

TEST(AutoscalingSpec, DefaultsFollowTheCrd) {
  const ScalingSpec spec =
      autoscaling::scaling_spec_from_resource({{"scaling", {{"mode", "queueDepth"}}}});
  EXPECT_EQ(spec.min_replicas, 1);
  EXPECT_EQ(spec.max_replicas, 4);
  EXPECT_EQ(spec.target_waiting, 4);
  EXPECT_EQ(spec.target_running, std::nullopt);
  EXPECT_EQ(spec.target_kv_cache_usage, std::nullopt);
  EXPECT_EQ(spec.replica_concurrency, 64);
  EXPECT_EQ(spec.scale_up.stabilization, 0s);
  EXPECT_EQ(spec.scale_down.stabilization, 300s);
  EXPECT_EQ(spec.scale_up.policies.size(), 2u);
  EXPECT_DOUBLE_EQ(spec.tolerance, 0.1);
}

TEST(AutoscalingSpec, ReadsEveryField) {
  const json isvc_spec = {{"scaling",
                           {{"mode", "queueDepth"},
                            {"minReplicas", 2},
                            {"maxReplicas", 9},
                            {"targetQueueDepth", 2.5},
                            {"targetRunning", 32},
                            {"targetKvCacheUsage", 0.8},
                            {"scaleUpStabilizationSeconds", 15},
                            {"scaleDownStabilizationSeconds", 120}}},
                          {"engine", {{"maxNumSeqs", 16}}}};
  const ScalingSpec spec = autoscaling::scaling_spec_from_resource(isvc_spec);
  EXPECT_EQ(spec.min_replicas, 2);
  EXPECT_EQ(spec.max_replicas, 9);
  EXPECT_EQ(spec.target_waiting, 2.5);
  EXPECT_EQ(spec.target_running, 32);
  EXPECT_EQ(spec.target_kv_cache_usage, 0.8);
  EXPECT_EQ(spec.replica_concurrency, 16);
  EXPECT_EQ(spec.scale_up.stabilization, 15s);
  EXPECT_EQ(spec.scale_down.stabilization, 120s);
}

void expect_rejected(const json& scaling, const std::string& field) {
  try {
    autoscaling::scaling_spec_from_resource({{"scaling", scaling}});
    ADD_FAILURE() << "accepted " << scaling.dump();
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find(field), std::string::npos) << error.what();
  }
}

TEST(AutoscalingSpec, RejectsWhatTheAlgorithmCannotUse) {
  expect_rejected({{"minReplicas", 0}}, "minReplicas");
  expect_rejected({{"minReplicas", 5}, {"maxReplicas", 3}}, "maxReplicas");
  expect_rejected({{"targetQueueDepth", 0}}, "targetQueueDepth");
  expect_rejected({{"targetKvCacheUsage", 1.5}}, "targetKvCacheUsage");
  expect_rejected({{"maxReplicas", "4"}}, "maxReplicas");
  expect_rejected({{"scaleDownStabilizationSeconds", -1}}, "scaleDown");
  expect_rejected({{"minReplicas", 1e12}}, "minReplicas");
  EXPECT_THROW(autoscaling::scaling_spec_from_resource(json::array()), std::invalid_argument);
  EXPECT_THROW(autoscaling::scaling_spec_from_resource({{"scaling", 3}}), std::invalid_argument);

  ScalingSpec spec;
  spec.scale_up.policies.push_back({PolicyKind::kPods, 0, 15s});
  EXPECT_THROW(autoscaling::validate(spec), std::invalid_argument);
  spec = {};
  spec.tolerance = 1;
  EXPECT_THROW(autoscaling::validate(spec), std::invalid_argument);
  EXPECT_NO_THROW(autoscaling::validate(ScalingSpec{}));
}

TEST(AutoscalingReplicaPhase, MapsPodStages) {
  using autoscaling::ReplicaPhase;
  using resources::PodStage;
  const auto phase = [](PodStage stage, bool unschedulable = false) {
    resources::PodState pod;
    pod.stage = stage;
    pod.unschedulable = unschedulable;
    return autoscaling::replica_phase(pod);
  };
  EXPECT_EQ(phase(PodStage::kReady), ReplicaPhase::kReady);
  EXPECT_EQ(phase(PodStage::kPending), ReplicaPhase::kStarting);
  EXPECT_EQ(phase(PodStage::kPending, true), ReplicaPhase::kStuck);
  EXPECT_EQ(phase(PodStage::kDownloading), ReplicaPhase::kStarting);
  EXPECT_EQ(phase(PodStage::kLoading), ReplicaPhase::kStarting);
  EXPECT_EQ(phase(PodStage::kFailed), ReplicaPhase::kStuck);
  EXPECT_EQ(phase(PodStage::kGone), std::nullopt);
}

}  // namespace
