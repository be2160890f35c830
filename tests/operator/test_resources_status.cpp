// compute_status over scripted Deployment and pod states: a replica's way from Pending to Ready,
// a crash, recovery, and the failures that keep a model from serving.
#include <gtest/gtest.h>

#include "resources/deployment.h"
#include "resources/status.h"
#include "test_resources_support.h"

namespace {

using namespace resources;
using resources_test::json;
using resources_test::sample;
using std::chrono::seconds;

const std::string kUri =
    "hf://TheBloke/Mistral-7B-Instruct-v0.2-GGUF/mistral-7b-instruct-v0.2.Q4_K_M.gguf";

Clock::time_point at(int s) { return *parse_rfc3339("2024-05-01T12:00:00Z") + seconds(s); }
std::string ts(int s) { return format_rfc3339(at(s)); }

// An engine pod created at `created` (seconds), with the given status.
json pod(const std::string& name, int created, const json& status, const std::string& uri = kUri) {
  return {{"metadata",
           {{"name", name},
            {"namespace", "models"},
            {"creationTimestamp", ts(created)},
            {"annotations", {{std::string(kModelUriAnnotation), uri}}}}},
          {"status", status}};
}

json scheduled() { return {{"type", "PodScheduled"}, {"status", "True"}}; }
json ready_condition(bool ready, int since) {
  return {
      {"type", "Ready"}, {"status", ready ? "True" : "False"}, {"lastTransitionTime", ts(since)}};
}
json init_status(const json& state, const json& last = json::object()) {
  return json::array({{{"name", "model-download"}, {"state", state}, {"lastState", last}}});
}
json engine_status(const json& state, bool ready, const json& last = json::object()) {
  return json::array({{{"name", "engine"},
                       {"image", "engine:1"},
                       {"ready", ready},
                       {"state", state},
                       {"lastState", last}}});
}
json done_init() {
  return init_status({{"terminated", {{"exitCode", 0}, {"reason", "Completed"}}}});
}

json downloading_status() {
  return {
      {"phase", "Pending"},
      {"conditions", {scheduled(), ready_condition(false, 0)}},
      {"initContainerStatuses", init_status({{"running", {{"startedAt", ts(5)}}}})},
      {"containerStatuses", engine_status({{"waiting", {{"reason", "PodInitializing"}}}}, false)}};
}
json loading_status() {
  return {{"phase", "Running"},
          {"conditions", {scheduled(), ready_condition(false, 0)}},
          {"initContainerStatuses", done_init()},
          {"containerStatuses", engine_status({{"running", {{"startedAt", ts(60)}}}}, false)}};
}
json ready_status(int since) {
  return {{"phase", "Running"},
          {"conditions", {scheduled(), ready_condition(true, since)}},
          {"initContainerStatuses", done_init()},
          {"containerStatuses", engine_status({{"running", {{"startedAt", ts(60)}}}}, true)}};
}
json crashed(int finished, const std::string& message = "model file is truncated") {
  return {
      {"terminated",
       {{"exitCode", 1}, {"reason", "Error"}, {"message", message}, {"finishedAt", ts(finished)}}}};
}
json crash_loop_status(int finished) {
  return {{"phase", "Running"},
          {"conditions", {scheduled(), ready_condition(false, finished)}},
          {"initContainerStatuses", done_init()},
          {"containerStatuses",
           engine_status({{"waiting",
                           {{"reason", "CrashLoopBackOff"},
                            {"message", "back-off 10s restarting failed container"}}}},
                         false, crashed(finished))}};
}

json deployment_with(int replicas, int ready, int updated, const json& conditions = json::array()) {
  return {{"metadata", {{"name", "mistral-7b-cpu"}, {"generation", 1}}},
          {"spec", {{"replicas", replicas}}},
          {"status",
           {{"observedGeneration", 1},
            {"replicas", replicas},
            {"readyReplicas", ready},
            {"updatedReplicas", updated},
            {"conditions", conditions}}}};
}

const json& condition(const json& status, const std::string& type) {
  for (const json& c : status["conditions"]) {
    if (c["type"] == type) return c;
  }
  static const json none;
  ADD_FAILURE() << "no condition " << type << " in " << status.dump();
  return none;
}

// Runs compute_status with `isvc` carrying the previous status, as the operator would see it.
class StatusScript {
 public:
  StatusScript() : isvc_(sample("mistral-7b-cpu.yaml")) {}

  json step(int now, const std::vector<json>& pods, const json* deployment, int desired = 2,
            std::optional<AutoscalingStatus> autoscaling = std::nullopt) {
    deployment_ = deployment ? *deployment : json();
    StatusInput in;
    in.isvc = &isvc_;
    in.deployment = deployment ? &deployment_ : nullptr;
    in.pods = pods;
    in.desired_replicas = desired;
    in.now = at(now);
    in.autoscaling = std::move(autoscaling);
    json status = compute_status(in);
    isvc_["status"] = status;
    return status;
  }
  json& isvc() { return isvc_; }

 private:
  json isvc_;
  json deployment_;
};

void expect_condition_shape(const json& status, int64_t generation) {
  for (const json& c : status["conditions"]) {
    EXPECT_TRUE(c["status"] == "True" || c["status"] == "False") << c;
    EXPECT_EQ(c["observedGeneration"], generation) << c;
    EXPECT_TRUE(parse_rfc3339(c["lastTransitionTime"].get<std::string>())) << c;
    const std::string reason = c["reason"];
    ASSERT_FALSE(reason.empty());
    EXPECT_TRUE(std::isupper(static_cast<unsigned char>(reason[0]))) << reason;
    for (char ch : reason) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch))) << reason;
    EXPECT_TRUE(c["message"].is_string());
  }
}

TEST(ResourcesStatus, PendingDownloadingLoadingReadyCrashFailedRecovered) {
  StatusScript s;
  // No Deployment yet.
  json st = s.step(0, {}, nullptr);
  EXPECT_EQ(st["phase"], "Pending");
  EXPECT_EQ(st["observedGeneration"], 1);
  EXPECT_EQ(st["desiredReplicas"], 2);
  EXPECT_EQ(st["replicas"], 0);
  EXPECT_EQ(st["readyReplicas"], 0);
  EXPECT_EQ(st["url"], "http://mistral-7b-cpu.models.svc:8000/v1");
  EXPECT_EQ(st["selector"],
            "app.kubernetes.io/instance=mistral-7b-cpu,app.kubernetes.io/name=mistral-engine,"
            "serving.mistral-fleet.dev/inferenceservice=mistral-7b-cpu");
  EXPECT_EQ(condition(st, "Ready")["status"], "False");
  EXPECT_EQ(condition(st, "Ready")["lastTransitionTime"], ts(0));
  EXPECT_EQ(condition(st, "Progressing")["status"], "True");
  EXPECT_EQ(condition(st, "Degraded")["status"], "False");
  EXPECT_FALSE(st.contains("lastFailure"));
  EXPECT_FALSE(st.contains("coldStartSeconds"));
  expect_condition_shape(st, 1);

  // Downloading.
  const json rolling = deployment_with(1, 0, 1);
  st = s.step(10, {pod("p1", 1, downloading_status())}, &rolling);
  EXPECT_EQ(st["phase"], "Downloading");
  EXPECT_EQ(st["replicas"], 1);
  EXPECT_EQ(condition(st, "Ready")["reason"], "Downloading");
  EXPECT_EQ(condition(st, "Ready")["lastTransitionTime"], ts(0));  // still False since 0
  EXPECT_EQ(condition(st, "ModelReady")["reason"], "Downloading");
  EXPECT_EQ(condition(st, "Progressing")["reason"], "RollingOut");

  // Loading: the furthest pod decides.
  st = s.step(70, {pod("p1", 1, loading_status()), pod("p2", 2, downloading_status())}, &rolling);
  EXPECT_EQ(st["phase"], "Loading");
  EXPECT_EQ(condition(st, "Ready")["reason"], "Loading");
  EXPECT_EQ(condition(st, "Ready")["lastTransitionTime"], ts(0));

  // Ready on one replica: Ready and ModelReady turn True now; the cold start is p1's.
  const json one_ready = deployment_with(2, 1, 2);
  st = s.step(100, {pod("p1", 1, ready_status(95)), pod("p2", 2, loading_status())}, &one_ready);
  EXPECT_EQ(st["phase"], "Ready");
  EXPECT_EQ(st["readyReplicas"], 1);
  EXPECT_EQ(condition(st, "Ready")["status"], "True");
  EXPECT_EQ(condition(st, "Ready")["lastTransitionTime"], ts(100));
  EXPECT_EQ(condition(st, "Ready")["message"], "1 of 2 replicas ready");
  EXPECT_EQ(condition(st, "ModelReady")["status"], "True");
  EXPECT_EQ(condition(st, "Progressing")["status"], "True");
  EXPECT_EQ(st["coldStartSeconds"], 94);

  // Both ready: the newest pod's cold start; Progressing done.
  const json all_ready = deployment_with(2, 2, 2);
  st = s.step(130, {pod("p1", 1, ready_status(95)), pod("p2", 2, ready_status(120))}, &all_ready);
  EXPECT_EQ(st["coldStartSeconds"], 118);
  EXPECT_EQ(condition(st, "Ready")["lastTransitionTime"], ts(100));  // unchanged: still True
  EXPECT_EQ(condition(st, "Progressing")["status"], "False");
  EXPECT_EQ(condition(st, "Progressing")["reason"], "Complete");
  EXPECT_EQ(condition(st, "Progressing")["lastTransitionTime"], ts(130));
  EXPECT_EQ(condition(st, "Degraded")["status"], "False");

  // One replica crashes: still serving on the other, but Degraded, and the failure recorded.
  const json one_left = deployment_with(2, 1, 2);
  st = s.step(200, {pod("p1", 1, ready_status(95)), pod("p2", 2, crash_loop_status(190))},
              &one_left);
  EXPECT_EQ(st["phase"], "Ready");
  EXPECT_EQ(condition(st, "Degraded")["status"], "True");
  EXPECT_EQ(condition(st, "Degraded")["reason"], "EngineCrashed");
  EXPECT_EQ(st["lastFailure"]["reason"], "EngineCrashed");
  EXPECT_EQ(st["lastFailure"]["time"], ts(190));
  EXPECT_NE(st["lastFailure"]["message"].get<std::string>().find("model file is truncated"),
            std::string::npos);
  EXPECT_NE(st["lastFailure"]["message"].get<std::string>().find("p2"), std::string::npos);
  EXPECT_EQ(st["coldStartSeconds"], 94);  // the newest Ready replica is p1 now

  // Both crash: Failed.
  const json none_ready = deployment_with(2, 0, 2);
  st = s.step(260, {pod("p1", 1, crash_loop_status(250)), pod("p2", 2, crash_loop_status(190))},
              &none_ready);
  EXPECT_EQ(st["phase"], "Failed");
  EXPECT_EQ(condition(st, "Ready")["status"], "False");
  EXPECT_EQ(condition(st, "Ready")["reason"], "EngineCrashed");
  EXPECT_EQ(condition(st, "Ready")["lastTransitionTime"], ts(260));
  EXPECT_EQ(condition(st, "Degraded")["lastTransitionTime"], ts(200));  // True since the first
  EXPECT_EQ(st["lastFailure"]["time"], ts(250));                        // the newest crash
  EXPECT_EQ(st["coldStartSeconds"], 94);  // kept while nothing is Ready

  // The same state again changes nothing.
  const json again =
      s.step(300, {pod("p1", 1, crash_loop_status(250)), pod("p2", 2, crash_loop_status(190))},
             &none_ready);
  EXPECT_EQ(again, st);

  // Recovered (a new pod): Ready again, the last failure kept.
  st = s.step(400, {pod("p3", 310, ready_status(390)), pod("p2", 2, crash_loop_status(190))},
              &one_left);
  EXPECT_EQ(st["phase"], "Ready");
  EXPECT_EQ(condition(st, "Ready")["lastTransitionTime"], ts(400));
  EXPECT_EQ(st["coldStartSeconds"], 80);
  EXPECT_EQ(st["lastFailure"]["time"], ts(250));
  expect_condition_shape(st, 1);

  // p2 back after its crashes: its Ready time counts the crash loop, so p3 stays the measure.
  json restarted = ready_status(450);
  restarted["containerStatuses"][0]["restartCount"] = 3;
  const json all_back = deployment_with(2, 2, 2);
  st = s.step(460, {pod("p3", 310, ready_status(390)), pod("p2", 2, restarted)}, &all_back);
  EXPECT_EQ(st["readyReplicas"], 2);
  EXPECT_EQ(st["coldStartSeconds"], 80);
}

json single_pod_status(const json& pod_status) {
  StatusScript s;
  const json d = deployment_with(1, 0, 1);
  return s.step(50, {pod("p", 0, pod_status)}, &d, 1);
}

TEST(ResourcesStatus, DownloadFailures) {
  json status = downloading_status();
  status["initContainerStatuses"] =
      init_status({{"waiting", {{"reason", "CrashLoopBackOff"}}}},
                  {{"terminated",
                    {{"exitCode", 2},
                     {"reason", "Error"},
                     {"message", "sha256 of mistral.gguf is 0e1f..., expected 9a8b..."},
                     {"finishedAt", ts(40)}}}});
  json st = single_pod_status(status);
  EXPECT_EQ(st["phase"], "Failed");
  EXPECT_EQ(condition(st, "Ready")["reason"], "ChecksumMismatch");
  EXPECT_EQ(st["lastFailure"]["reason"], "ChecksumMismatch");
  EXPECT_EQ(st["lastFailure"]["time"], ts(40));
  EXPECT_NE(st["lastFailure"]["message"].get<std::string>().find("exited with code 2"),
            std::string::npos);

  status["initContainerStatuses"] =
      init_status({{"terminated", {{"exitCode", 1}, {"message", "HTTP 401 from huggingface.co"}}}});
  st = single_pod_status(status);
  EXPECT_EQ(condition(st, "Ready")["reason"], "DownloadFailed");
  EXPECT_NE(condition(st, "Ready")["message"].get<std::string>().find("HTTP 401"),
            std::string::npos);

  // A retry that runs again is Downloading; the failure before it is still the last one.
  status["initContainerStatuses"] = init_status(
      {{"running", json::object()}},
      {{"terminated", {{"exitCode", 1}, {"message", "connection reset"}, {"finishedAt", ts(30)}}}});
  st = single_pod_status(status);
  EXPECT_EQ(st["phase"], "Downloading");
  EXPECT_EQ(st["lastFailure"]["reason"], "DownloadFailed");
  EXPECT_EQ(condition(st, "Degraded")["status"], "False");
}

TEST(ResourcesStatus, ContainersThatCannotStart) {
  json pull = downloading_status();
  pull["initContainerStatuses"] =
      init_status({{"waiting", {{"reason", "ImagePullBackOff"}, {"message", "manifest unknown"}}}});
  json st = single_pod_status(pull);
  EXPECT_EQ(st["phase"], "Failed");
  EXPECT_EQ(condition(st, "Ready")["reason"], "ImagePullFailed");
  EXPECT_EQ(st["lastFailure"]["time"], ts(50));  // no time of its own: when it was seen

  json secret = downloading_status();
  secret["initContainerStatuses"] = init_status(
      {{"waiting",
        {{"reason", "CreateContainerConfigError"}, {"message", "secret \"hf-token\" not found"}}}});
  st = single_pod_status(secret);
  EXPECT_EQ(condition(st, "Ready")["reason"], "ContainerConfigError");
  EXPECT_NE(condition(st, "Ready")["message"].get<std::string>().find("hf-token"),
            std::string::npos);

  json oom = crash_loop_status(45);
  oom["containerStatuses"][0]["lastState"] = {
      {"terminated", {{"exitCode", 137}, {"reason", "OOMKilled"}, {"finishedAt", ts(45)}}}};
  st = single_pod_status(oom);
  EXPECT_EQ(condition(st, "Ready")["reason"], "OOMKilled");
  EXPECT_NE(condition(st, "Ready")["message"].get<std::string>().find("limits.memory"),
            std::string::npos);
}

TEST(ResourcesStatus, FailureTimeKeptWhileItRepeats) {
  StatusScript s;
  json pull = downloading_status();
  pull["initContainerStatuses"] =
      init_status({{"waiting", {{"reason", "ErrImagePull"}, {"message", "not found"}}}});
  const json d = deployment_with(1, 0, 1);
  json st = s.step(10, {pod("p", 0, pull)}, &d, 1);
  EXPECT_EQ(st["lastFailure"]["time"], ts(10));
  st = s.step(20, {pod("p", 0, pull)}, &d, 1);
  EXPECT_EQ(st["lastFailure"]["time"], ts(10));
}

TEST(ResourcesStatus, UnschedulableIsPendingAndDegraded) {
  const json status = {
      {"phase", "Pending"},
      {"conditions",
       {{{"type", "PodScheduled"},
         {"status", "False"},
         {"reason", "Unschedulable"},
         {"message", "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."}}}}};
  const json st = single_pod_status(status);
  EXPECT_EQ(st["phase"], "Pending");
  EXPECT_EQ(condition(st, "Ready")["reason"], "Unschedulable");
  EXPECT_NE(condition(st, "Ready")["message"].get<std::string>().find("Insufficient"),
            std::string::npos);
  EXPECT_EQ(condition(st, "Degraded")["status"], "True");
  EXPECT_FALSE(st.contains("lastFailure"));
}

TEST(ResourcesStatus, DeploymentFailures) {
  StatusScript s;
  const json stuck =
      deployment_with(1, 0, 1,
                      {{{"type", "Progressing"},
                        {"status", "False"},
                        {"reason", "ProgressDeadlineExceeded"},
                        {"message", "ReplicaSet \"m-5d8\" has timed out progressing."},
                        {"lastTransitionTime", ts(700)}}});
  json st = s.step(710, {pod("p", 0, loading_status())}, &stuck, 1);
  EXPECT_EQ(st["phase"], "Failed");
  EXPECT_EQ(condition(st, "Progressing")["status"], "False");
  EXPECT_EQ(condition(st, "Progressing")["reason"], "ProgressDeadlineExceeded");
  EXPECT_EQ(st["lastFailure"]["time"], ts(700));

  StatusScript q;
  const json quota =
      deployment_with(1, 0, 0,
                      {{{"type", "ReplicaFailure"},
                        {"status", "True"},
                        {"reason", "FailedCreate"},
                        {"message", "pods \"m-1\" is forbidden: exceeded quota: gpu"},
                        {"lastTransitionTime", ts(5)}}});
  st = q.step(10, {}, &quota, 1);
  EXPECT_EQ(st["phase"], "Failed");
  EXPECT_EQ(condition(st, "Ready")["reason"], "PodCreationFailed");
  EXPECT_NE(condition(st, "Ready")["message"].get<std::string>().find("exceeded quota"),
            std::string::npos);
}

TEST(ResourcesStatus, RolloutToAnotherModel) {
  StatusScript s;
  const std::string new_uri = "hf://o/r/mistral-7b-instruct-v0.3.Q4_K_M.gguf";
  s.isvc()["spec"]["model"]["uri"] = new_uri;
  s.isvc()["metadata"]["generation"] = 2;
  const json d = deployment_with(2, 1, 1);
  const json st = s.step(
      50, {pod("old", 0, ready_status(30), kUri), pod("new", 40, downloading_status(), new_uri)},
      &d, 1);
  EXPECT_EQ(st["phase"], "Ready");
  EXPECT_EQ(condition(st, "Ready")["status"], "True");
  EXPECT_EQ(condition(st, "ModelReady")["status"], "False");
  EXPECT_EQ(condition(st, "ModelReady")["reason"], "Downloading");
  EXPECT_EQ(condition(st, "Progressing")["status"], "True");
  expect_condition_shape(st, 2);
}

TEST(ResourcesStatus, InvalidSpec) {
  StatusScript s;
  StatusInput in;
  in.isvc = &s.isvc();
  in.problems = {{"spec.model.uri", "unknown scheme"}, {"spec.scaling.minReplicas", "too big"}};
  in.now = at(5);
  const json st = compute_status(in);
  EXPECT_EQ(st["phase"], "Failed");
  EXPECT_EQ(condition(st, "Ready")["status"], "False");
  EXPECT_EQ(condition(st, "Ready")["reason"], "InvalidSpec");
  EXPECT_EQ(condition(st, "Ready")["message"],
            "spec.model.uri: unknown scheme; spec.scaling.minReplicas: too big");
  EXPECT_EQ(st["lastFailure"]["reason"], "InvalidSpec");
  EXPECT_EQ(st["observedGeneration"], 1);
  expect_condition_shape(st, 1);
}

TEST(ResourcesStatus, ScaledToZeroAndGonePods) {
  StatusScript s;
  json terminating = pod("old", 0, ready_status(30));
  terminating["metadata"]["deletionTimestamp"] = ts(40);
  json evicted = pod("ev", 0, {{"phase", "Failed"}, {"reason", "Evicted"}});
  const json d = deployment_with(0, 0, 0);
  const json st = s.step(50, {terminating, evicted}, &d, 0);
  EXPECT_EQ(st["phase"], "Pending");
  EXPECT_EQ(condition(st, "Ready")["reason"], "ScaledToZero");
  EXPECT_EQ(condition(st, "Progressing")["reason"], "Complete");
  EXPECT_FALSE(st.contains("lastFailure"));
}

TEST(ResourcesStatus, OnlyOperatorFieldsAndBoundedMessages) {
  // A termination message longer than a condition may hold, of 3-byte characters: cut anywhere
  // but at a character boundary, the status could not be written as JSON. Pod names of three
  // lengths put the cut at each offset within a character.
  std::string long_message;
  for (int i = 0; i < 12000; ++i) long_message += "\xe2\x82\xac";  // €
  for (const std::string name : {"p", "pp", "ppp"}) {
    StatusScript s;
    s.isvc()["status"] = {{"queueDepth", 7.5}};
    json crash = crash_loop_status(45);
    crash["containerStatuses"][0]["lastState"]["terminated"]["message"] = long_message;
    const json d = deployment_with(1, 0, 1);
    const json st = s.step(50, {pod(name, 0, crash)}, &d, 1);
    EXPECT_FALSE(st.contains("queueDepth"));
    EXPECT_LE(condition(st, "Ready")["message"].get<std::string>().size(), 32768u);
    EXPECT_LE(st["lastFailure"]["message"].get<std::string>().size(), 32768u);
    EXPECT_NO_THROW((void)st.dump()) << name;
  }
  EXPECT_THROW(compute_status(StatusInput{}), std::invalid_argument);
}

TEST(ResourcesStatus, AutoscalerFieldsWithQueueDepthScaling) {
  StatusScript s;
  s.isvc()["spec"]["scaling"] = {{"mode", "queueDepth"}, {"minReplicas", 1}, {"maxReplicas", 4}};
  const json d = deployment_with(1, 1, 1);
  const std::vector<json> pods = {pod("a", 0, ready_status(30))};

  // A new leader before its first poll: nothing to report, nothing invented.
  json st = s.step(40, pods, &d, 1);
  EXPECT_FALSE(st.contains("queueDepth"));
  EXPECT_FALSE(st.contains("lastScaleTime"));
  for (const json& c : st["conditions"]) EXPECT_NE(c["type"], "Scaled");

  AutoscalingStatus polled{0, std::nullopt, {true, "Stable", "held at 1: queue 0 ..."}};
  st = s.step(45, pods, &d, 1, polled);
  EXPECT_EQ(st["queueDepth"], 0);
  EXPECT_FALSE(st.contains("lastScaleTime"));
  EXPECT_EQ(condition(st, "Scaled")["status"], "True");
  EXPECT_EQ(condition(st, "Scaled")["reason"], "Stable");
  expect_condition_shape(st, 1);

  AutoscalingStatus scaled{14, at(50), {true, "ScaledUp", "scaled 1→4: queue 14 over target 4"}};
  st = s.step(50, pods, &d, 4, scaled);
  EXPECT_EQ(st["queueDepth"], 14);
  EXPECT_EQ(st["lastScaleTime"], ts(50));
  EXPECT_EQ(st["desiredReplicas"], 4);
  EXPECT_EQ(condition(st, "Scaled")["message"], "scaled 1→4: queue 14 over target 4");
  // Scaled stayed True: its transition time is the first poll's.
  EXPECT_EQ(condition(st, "Scaled")["lastTransitionTime"], ts(45));

  // The operator restarts: until the new autoscaler polls, the recorded fields stay.
  const json kept = s.step(60, pods, &d, 4);
  EXPECT_EQ(kept["queueDepth"], 14);
  EXPECT_EQ(kept["lastScaleTime"], ts(50));
  EXPECT_EQ(condition(kept, "Scaled"), condition(st, "Scaled"));

  // Polled again, not scaled yet: the recorded lastScaleTime stays.
  st = s.step(65, pods, &d, 4,
              AutoscalingStatus{3, std::nullopt, {false, "MetricsUnavailable", "x"}});
  EXPECT_EQ(st["lastScaleTime"], ts(50));
  EXPECT_EQ(condition(st, "Scaled")["status"], "False");
  EXPECT_EQ(condition(st, "Scaled")["lastTransitionTime"], ts(65));

  // Another mode: the autoscaler's fields go.
  s.isvc()["spec"]["scaling"] = {{"mode", "none"}};
  st = s.step(70, pods, &d, 2, scaled);
  EXPECT_FALSE(st.contains("queueDepth"));
  EXPECT_FALSE(st.contains("lastScaleTime"));
  for (const json& c : st["conditions"]) EXPECT_NE(c["type"], "Scaled");
}

}  // namespace
