// Which replicas the autoscaler reads, and where: pods classified into phases, and their metrics
// URLs from the Service's EndpointSlices.
#include <gtest/gtest.h>

#include "autoscaling/replica_targets.h"
#include "resources/deployment.h"

namespace {

using autoscaling::replica_targets;
using autoscaling::ReplicaPhase;
using nlohmann::json;

const std::string kUri = "file:///models/tiny.gguf";

json pod(const std::string& name, bool ready, const json& extra_meta = json::object()) {
  json meta = {{"name", name},
               {"namespace", "models"},
               {"annotations", {{std::string(resources::kModelUriAnnotation), kUri}}}};
  meta.update(extra_meta);
  return {{"metadata", meta},
          {"status",
           {{"phase", "Running"},
            {"conditions",
             {{{"type", "PodScheduled"}, {"status", "True"}},
              {{"type", "Ready"},
               {"status", ready ? "True" : "False"},
               {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}},
            {"containerStatuses",
             {{{"name", "engine"}, {"ready", ready}, {"state", {{"running", json::object()}}}}}}}}};
}

json endpoint(const std::string& pod, const std::string& address, const json& ready = true) {
  json conditions = json::object();
  if (!ready.is_null()) conditions["ready"] = ready;
  return {{"addresses", json::array({address})},
          {"conditions", conditions},
          {"targetRef", {{"kind", "Pod"}, {"name", pod}}}};
}

json slice(const std::string& type, const std::vector<json>& endpoints, const json& ports) {
  return {{"addressType", type}, {"endpoints", endpoints}, {"ports", ports}};
}

json http_port(int port) { return json::array({{{"name", "http"}, {"port", port}}}); }

TEST(AutoscalingReplicaTargets, ReadyEndpointsGiveMetricsUrlsOnTheirSlicePort) {
  const auto targets = replica_targets({pod("a", true), pod("b", true), pod("c", false)},
                                       {slice("IPv4", {endpoint("a", "10.0.0.5")}, http_port(8000)),
                                        slice("IPv6", {endpoint("b", "fd00::7", nullptr)},
                                              json::array({{{"name", "metrics"}, {"port", 9}},
                                                           {{"name", "http"}, {"port", 8080}}}))},
                                       kUri);
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_EQ(targets[0].pod, "a");
  EXPECT_EQ(targets[0].phase, ReplicaPhase::kReady);
  EXPECT_EQ(targets[0].metrics_url, "http://10.0.0.5:8000/metrics");
  // A missing ready condition means ready; IPv6 addresses are bracketed.
  EXPECT_EQ(targets[1].metrics_url, "http://[fd00::7]:8080/metrics");
  EXPECT_EQ(targets[2].phase, ReplicaPhase::kStarting);
  EXPECT_FALSE(targets[2].metrics_url);
}

TEST(AutoscalingReplicaTargets, ReadyPodsWithoutAReadyEndpointHaveNoUrl) {
  const auto targets =
      replica_targets({pod("a", true), pod("b", true), pod("c", true)},
                      {slice("IPv4", {endpoint("a", "10.0.0.5", false)}, http_port(8000)),
                       slice("FQDN", {endpoint("b", "b.example")}, http_port(8000)),
                       slice("IPv4", {endpoint("c", "10.0.0.6")}, json::array())},
                      kUri);
  ASSERT_EQ(targets.size(), 3u);
  for (const auto& target : targets) {
    EXPECT_EQ(target.phase, ReplicaPhase::kReady) << target.pod;
    EXPECT_FALSE(target.metrics_url) << target.pod;
  }
}

TEST(AutoscalingReplicaTargets, TerminatingPodsAreLeftOutAndMalformedSlicesSkipped) {
  const auto targets = replica_targets(
      {pod("a", true, {{"deletionTimestamp", "2026-01-01T00:00:00Z"}}), pod("b", true)},
      {json::array(), json{{"addressType", "IPv4"}, {"endpoints", "x"}, {"ports", http_port(1)}},
       slice("IPv4", {json{{"addresses", json::array()}}, json(3)}, http_port(70000)),
       slice("IPv4", {endpoint("b", "10.0.0.9")}, http_port(8000))},
      kUri);
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].pod, "b");
  EXPECT_EQ(targets[0].metrics_url, "http://10.0.0.9:8000/metrics");
}

}  // namespace
