// Queue-depth autoscaling end to end: the real mistral-operator against the fake API server, with
// real mistral-engine processes on 127.0.0.1 standing in for the engine pods. The test plays the
// cluster's other controllers: pods for the Deployment's replicas, Ready, each with an
// EndpointSlice that points at one engine; and a load generator that queues requests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <set>
#include <thread>

#include "engine_process.h"
#include "fake_nodes.h"
#include "load_generator.h"
#include "operator_scenario.h"

namespace {

using namespace operator_test;

// A port on 127.0.0.1 that nothing listens on: bound, then released.
int closed_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("cannot bind a loopback port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

class OperatorAutoscaling : public OperatorScenario {
 protected:
  static void SetUpTestSuite() {
    model_dir_ = fs::temp_directory_path() / ("mf-autoscale-model-" + std::to_string(::getpid()));
    fs::create_directories(model_dir_);
    model_ = synth_tiny_model(model_dir_);
  }
  static void TearDownTestSuite() { fs::remove_all(model_dir_); }

  EngineProcess& start_engine() {
    engines_.push_back(std::make_unique<EngineProcess>(
        model_, dir_ / ("engine-" + std::to_string(engines_.size()) + ".log")));
    return *engines_.back();
  }

  void TearDown() override {
    nodes_.reset();
    engines_.clear();
    OperatorScenario::TearDown();
  }

  // An InferenceService scaled on queue depth between 1 and 2 replicas, polled every second.
  json autoscaled(const std::string& name) {
    json isvc = sample("mistral-7b-autoscaled.yaml", name);
    isvc["spec"]["model"] = {{"uri", "file:///models/tiny.gguf"}};
    isvc["spec"]["scaling"] = {{"mode", "queueDepth"},     {"minReplicas", 1},
                               {"maxReplicas", 2},         {"targetQueueDepth", 3},
                               {"pollIntervalSeconds", 1}, {"scaleDownStabilizationSeconds", 5}};
    return isvc;
  }

  std::string scaled_reason(const std::string& name) {
    const json scaled = condition(name, "Scaled");
    return scaled.is_object() ? scaled.value("reason", "") : "";
  }

  int deployment_replicas(const std::string& name) {
    const auto deployment = try_get(types::kDeployment, name);
    return deployment ? (*deployment)["spec"].value("replicas", -1) : -1;
  }

  json status(const std::string& name) {
    const auto isvc = try_get(types::kInferenceService, name);
    return isvc ? isvc->value("status", json::object()) : json::object();
  }

  // Messages of the Events with this reason about the InferenceService NAME.
  std::vector<std::string> events(const std::string& name, const std::string& reason) {
    std::vector<std::string> messages;
    for (const json& event : client_->list(types::kEvent, kNs, {}).items) {
      if (event["involvedObject"].value("name", "") == name &&
          event.value("reason", "") == reason) {
        messages.push_back(event.value("message", ""));
      }
    }
    return messages;
  }

  static bool has_message_starting(const std::vector<std::string>& messages,
                                   const std::string& prefix) {
    for (const auto& m : messages) {
      if (m.rfind(prefix, 0) == 0) return true;
    }
    return false;
  }

  static inline fs::path model_dir_;
  static inline fs::path model_;
  std::vector<std::unique_ptr<EngineProcess>> engines_;
  std::unique_ptr<FakeNodes> nodes_;
};

TEST_F(OperatorAutoscaling, QueueUpScalesOutWithinTheWindowAndBackInAfterTheScaleDownWindow) {
  EngineProcess& busy = start_engine();
  EngineProcess& spare = start_engine();
  OperatorProcess& op = start_operator();
  create_isvc(autoscaled("chat"));
  ASSERT_TRUE(eventually([&] { return deployment_replicas("chat") == 1; }));
  nodes_ = std::make_unique<FakeNodes>(server_->kubeconfig_path(), kNs, "chat",
                                       std::vector<int>{busy.port(), spare.port()});

  // Idle: the autoscaler reads an empty queue and holds at minReplicas.
  ASSERT_TRUE(eventually([&] {
    const json s = status("chat");
    return s.value("queueDepth", -1.0) == 0 && condition("chat", "Scaled").is_object();
  }));
  EXPECT_EQ(condition("chat", "Scaled")["status"], "True");
  EXPECT_EQ(condition("chat", "Scaled")["reason"], "Stable");
  EXPECT_FALSE(status("chat").contains("lastScaleTime"));

  // About five requests waiting over a target of 3 per replica: two replicas, at the next poll.
  auto load = std::make_unique<LoadGenerator>(busy.url("/v1/completions"), 6);
  ASSERT_TRUE(eventually([&] { return deployment_replicas("chat") == 2; }, 20s))
      << "queue depth seen: " << status("chat").dump();
  ASSERT_TRUE(eventually(
      [&] { return has_message_starting(events("chat", "Scaled"), "scaled 1→2: queue"); }));
  ASSERT_TRUE(eventually([&] { return scaled_reason("chat") == "ScaledUp"; }));
  EXPECT_EQ(condition("chat", "Scaled")["status"], "True");
  EXPECT_NE(condition("chat", "Scaled")["message"].get<std::string>().find("over target 3"),
            std::string::npos);
  EXPECT_EQ(status("chat")["desiredReplicas"], 2);
  const std::string scaled_up_at = status("chat").value("lastScaleTime", "");
  EXPECT_FALSE(scaled_up_at.empty());
  EXPECT_GT(load->completed(), 0);

  // Steady load: the count holds (no flap) for several polls.
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(deployment_replicas("chat"), 2);
  EXPECT_GT(status("chat").value("queueDepth", 0.0), 0);

  // Load stops: back to one replica once the 5 s scale-down window has passed.
  // Timed from the stop request: stopping waits for the queued requests to finish.
  const auto stopped = std::chrono::steady_clock::now();
  load->stop();
  ASSERT_TRUE(eventually([&] { return deployment_replicas("chat") == 1; }, 30s));
  EXPECT_GE(std::chrono::steady_clock::now() - stopped, 4s);
  ASSERT_TRUE(eventually([&] {
    return has_message_starting(events("chat", "Scaled"), "scaled 2→1: queue 0 under target 3");
  }));
  ASSERT_TRUE(eventually([&] { return scaled_reason("chat") == "ScaledDown"; }));
  EXPECT_EQ(status("chat")["desiredReplicas"], 1);
  EXPECT_EQ(status("chat")["queueDepth"], 0);
  EXPECT_GE(status("chat").value("lastScaleTime", ""), scaled_up_at);

  // The operator's own metrics tell the same story.
  EXPECT_EQ(op.metric("mistral_operator_scale_events_total"), 2);
  EXPECT_EQ(op.metric("mistral_operator_desired_replicas"), 1);
  EXPECT_EQ(op.metric("mistral_operator_observed_queue_depth"), 0);
  EXPECT_GT(op.metric("mistral_operator_engine_scrapes_total"), 0);
}

TEST_F(OperatorAutoscaling, UnreadableReplicasHoldTheCountAndSaySo) {
  OperatorProcess& op = start_operator();
  json isvc = autoscaled("quiet");
  isvc["spec"]["scaling"]["minReplicas"] = 2;
  create_isvc(isvc);
  ASSERT_TRUE(eventually([&] { return deployment_replicas("quiet") == 2; }));
  // Two Ready pods whose endpoints answer nothing: a closed port on loopback.
  const int closed_port = closed_loopback_port();
  nodes_ = std::make_unique<FakeNodes>(server_->kubeconfig_path(), kNs, "quiet",
                                       std::vector<int>{closed_port, closed_port});
  ASSERT_TRUE(eventually([&] { return scaled_reason("quiet") == "MetricsUnavailable"; }));
  EXPECT_EQ(condition("quiet", "Scaled")["status"], "False");
  EXPECT_NE(condition("quiet", "Scaled")["message"].get<std::string>().find("no metrics"),
            std::string::npos);
  ASSERT_TRUE(eventually([&] { return !events("quiet", "MetricsUnavailable").empty(); }));
  EXPECT_EQ(deployment_replicas("quiet"), 2);
  EXPECT_FALSE(status("quiet").contains("queueDepth"));
  EXPECT_GT(op.metric("mistral_operator_engine_scrapes_total"), 0);
}

}  // namespace
