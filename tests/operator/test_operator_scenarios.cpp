// The operator end to end: the real mistral-operator binary against the fake API server, driven
// the way users and other controllers drive a cluster.
#include <set>

#include "operator_scenario.h"

namespace {

using namespace operator_test;

TEST_F(OperatorScenario, CreateMakesADeploymentServiceAndBudgetOwnedByTheResource) {
  OperatorProcess& op = start_operator();
  ASSERT_TRUE(eventually([&] { return op.probe("/readyz") == 200; }));
  EXPECT_EQ(op.probe("/healthz"), 200u);
  const json created = create_isvc(sample("mistral-7b-cpu.yaml", "chat"));
  const std::string uid = created["metadata"]["uid"];

  ASSERT_TRUE(eventually([&] { return try_get(types::kDeployment, "chat").has_value(); }));
  ASSERT_TRUE(eventually([&] { return try_get(types::kService, "chat").has_value(); }));
  ASSERT_TRUE(eventually([&] { return try_get(types::kPodDisruptionBudget, "chat").has_value(); }));

  const json deployment = *try_get(types::kDeployment, "chat");
  EXPECT_EQ(deployment["spec"]["replicas"], 2);
  const json& owner = deployment["metadata"]["ownerReferences"][0];
  EXPECT_EQ(owner["uid"], uid);
  EXPECT_EQ(owner["kind"], "InferenceService");
  EXPECT_EQ(owner["controller"], true);
  const json& pod = deployment["spec"]["template"]["spec"];
  EXPECT_EQ(pod["containers"][0]["image"], "ghcr.io/mistral-fleet/engine:test");
  const auto args = engine_args("chat");
  EXPECT_TRUE(has_arg_pair(args, "--served-model-name", "mistral-7b-instruct"));
  EXPECT_TRUE(has_arg_pair(args, "--max-num-seqs", "16"));
  ASSERT_TRUE(pod.contains("initContainers"));
  EXPECT_NE(pod["initContainers"][0]["args"].dump().find("hf://TheBloke"), std::string::npos);

  const json service = *try_get(types::kService, "chat");
  EXPECT_EQ(service["spec"]["ports"][0]["port"], 8000);
  EXPECT_EQ(service["metadata"]["ownerReferences"][0]["uid"], uid);

  // The status says what the cluster reports: nothing is ready yet.
  ASSERT_TRUE(eventually([&] {
    const auto isvc = try_get(types::kInferenceService, "chat");
    return isvc && isvc->value("status", json::object()).contains("phase");
  }));
  const json isvc = *try_get(types::kInferenceService, "chat");
  EXPECT_EQ(isvc["status"]["observedGeneration"], isvc["metadata"]["generation"]);
  EXPECT_NE(isvc["status"]["phase"], "Ready");
  EXPECT_EQ(condition("chat", "Ready")["status"], "False");

  // Each creation is an Event on the InferenceService.
  std::set<std::string> events;
  for (const auto& event : client_->list(types::kEvent, kNs, {}).items) {
    if (event["involvedObject"].value("uid", "") == uid && event.value("reason", "") == "Created") {
      events.insert(event.value("message", ""));
    }
  }
  EXPECT_EQ(events, (std::set<std::string>{"created Deployment chat", "created Service chat",
                                           "created PodDisruptionBudget chat"}));
}

TEST_F(OperatorScenario, SpecChangeUpdatesTheDeployment) {
  start_operator();
  create_isvc(sample("mistral-7b-cpu.yaml", "chat"));
  ASSERT_TRUE(
      eventually([&] { return has_arg_pair(engine_args("chat"), "--max-num-seqs", "16"); }));
  client_->merge_patch(types::kInferenceService, kNs, "chat",
                       json{{"spec", {{"engine", {{"maxNumSeqs", 32}}}, {"replicas", 3}}}});
  ASSERT_TRUE(
      eventually([&] { return has_arg_pair(engine_args("chat"), "--max-num-seqs", "32"); }));
  EXPECT_EQ((*try_get(types::kDeployment, "chat"))["spec"]["replicas"], 3);
}

TEST_F(OperatorScenario, DeletedOrEditedObjectsAreRestored) {
  start_operator();
  create_isvc(sample("mistral-7b-cpu.yaml", "chat"));
  ASSERT_TRUE(eventually([&] { return try_get(types::kService, "chat").has_value(); }));
  ASSERT_TRUE(eventually([&] { return try_get(types::kDeployment, "chat").has_value(); }));

  client_->remove(types::kService, kNs, "chat");
  EXPECT_TRUE(eventually([&] { return try_get(types::kService, "chat").has_value(); }));

  // Someone edits the Deployment by hand (another field manager).
  client_->merge_patch(types::kDeployment, kNs, "chat", json{{"spec", {{"replicas", 7}}}});
  EXPECT_TRUE(eventually([&] {
    const auto d = try_get(types::kDeployment, "chat");
    return d && (*d)["spec"]["replicas"] == 2;
  }));

  client_->remove(types::kDeployment, kNs, "chat");
  EXPECT_TRUE(eventually([&] {
    const auto d = try_get(types::kDeployment, "chat");
    return d && (*d)["spec"]["replicas"] == 2;
  }));
}

TEST_F(OperatorScenario, DroppedWatchesAndExpiredVersionsMissNoEvent) {
  OperatorProcess& op = start_operator();
  create_isvc(sample("mistral-7b-cpu.yaml", "first"));
  ASSERT_TRUE(eventually([&] { return try_get(types::kDeployment, "first").has_value(); }));
  const double restarts_before = op.metric("mistral_operator_watch_restarts_total");

  server_->close_watches();
  create_isvc(sample("mistral-7b-cpu.yaml", "second"));
  EXPECT_TRUE(eventually([&] { return try_get(types::kDeployment, "second").has_value(); }));

  // History compacted while the watches are down: resuming gets 410 Gone and the operator
  // relists, still seeing the change made in between.
  server_->compact();
  server_->close_watches();
  client_->merge_patch(types::kInferenceService, kNs, "first",
                       json{{"spec", {{"engine", {{"maxNumSeqs", 5}}}}}});
  create_isvc(sample("mistral-7b-cpu.yaml", "third"));
  EXPECT_TRUE(eventually([&] { return try_get(types::kDeployment, "third").has_value(); }));
  EXPECT_TRUE(
      eventually([&] { return has_arg_pair(engine_args("first"), "--max-num-seqs", "5"); }));
  EXPECT_GT(op.metric("mistral_operator_watch_restarts_total"), restarts_before);
  EXPECT_GT(op.metric("mistral_operator_relists_total"), 5);  // 5 informers' first lists, then more
}

TEST_F(OperatorScenario, ConflictsAndServerErrorsAreRetried) {
  OperatorProcess& op = start_operator();
  ASSERT_TRUE(eventually([&] { return op.metric("mistral_operator_relists_total") >= 5; }));
  server_->fail_next("PATCH", "/apis/apps/v1/namespaces/default/deployments", 409, 2);
  server_->fail_next("PATCH", "/api/v1/namespaces/default/services", 500, 1);
  create_isvc(sample("mistral-7b-cpu.yaml", "chat"));
  EXPECT_TRUE(eventually([&] { return try_get(types::kDeployment, "chat").has_value(); }));
  EXPECT_TRUE(eventually([&] { return try_get(types::kService, "chat").has_value(); }));
  EXPECT_GE(op.metric("mistral_operator_reconcile_errors_total"), 1);
}

TEST_F(OperatorScenario, RecoversWhenTheApiServerRestarts) {
  start_operator();
  create_isvc(sample("mistral-7b-cpu.yaml", "before"));
  ASSERT_TRUE(eventually([&] { return try_get(types::kDeployment, "before").has_value(); }));
  server_->stop();
  std::this_thread::sleep_for(1s);  // the operator's watches fail and back off meanwhile
  server_->start();
  create_isvc(sample("mistral-7b-cpu.yaml", "after"));
  EXPECT_TRUE(eventually([&] { return try_get(types::kDeployment, "after").has_value(); }, 60s));
}

TEST_F(OperatorScenario, InvalidResourceGetsAFalseConditionWithAReason) {
  OperatorProcess& op = start_operator();
  json isvc = sample("mistral-7b-cpu.yaml", "broken");
  // The schema accepts it; the operator refuses to let extraArgs override the port it manages.
  isvc["spec"]["engine"]["extraArgs"] = {"--port", "9999"};
  create_isvc(isvc);
  ASSERT_TRUE(eventually([&] { return !condition("broken", "Ready").is_null(); }));
  const json ready = condition("broken", "Ready");
  EXPECT_EQ(ready["status"], "False");
  EXPECT_EQ(ready["reason"], "InvalidSpec");
  EXPECT_NE(ready["message"].get<std::string>().find("--port"), std::string::npos);
  EXPECT_FALSE(try_get(types::kDeployment, "broken").has_value());

  // Fixing it is enough: no restart, no crash loop.
  client_->merge_patch(types::kInferenceService, kNs, "broken",
                       json{{"spec", {{"engine", {{"extraArgs", json::array()}}}}}});
  EXPECT_TRUE(eventually([&] { return try_get(types::kDeployment, "broken").has_value(); }));
  EXPECT_EQ(::kill(op.pid(), 0), 0);
}

TEST_F(OperatorScenario, TwoOperatorsElectOneLeaderAndTheOtherTakesOver) {
  const std::vector<std::string> election = {"--leader-elect",
                                             "--leader-election-namespace",
                                             kNs,
                                             "--leader-election-lease-duration",
                                             "3",
                                             "--leader-election-renew-deadline",
                                             "2",
                                             "--leader-election-retry-period",
                                             "1"};
  OperatorProcess& a = start_operator(election);
  OperatorProcess& b = start_operator(election);
  ASSERT_TRUE(eventually([&] {
    return a.metric("mistral_operator_leader") + b.metric("mistral_operator_leader") == 1;
  }));
  // Only one leads, and it stays that way.
  std::this_thread::sleep_for(3s);
  const double a_leads = a.metric("mistral_operator_leader");
  const double b_leads = b.metric("mistral_operator_leader");
  EXPECT_EQ(a_leads + b_leads, 1);
  OperatorProcess& leader = a_leads == 1 ? a : b;
  OperatorProcess& standby = a_leads == 1 ? b : a;

  create_isvc(sample("mistral-7b-cpu.yaml", "one"));
  ASSERT_TRUE(eventually([&] { return try_get(types::kDeployment, "one").has_value(); }));
  EXPECT_EQ(standby.metric("mistral_operator_reconcile_total"), -1);  // never reconciled

  leader.kill_now();
  EXPECT_TRUE(eventually([&] { return standby.metric("mistral_operator_leader") == 1; }, 30s));
  create_isvc(sample("mistral-7b-cpu.yaml", "two"));
  EXPECT_TRUE(eventually([&] { return try_get(types::kDeployment, "two").has_value(); }));
  const json lease = client_->get(types::kLease, kNs, "mistral-operator");
  EXPECT_EQ(lease["spec"]["leaseTransitions"], 1);

  // A clean shutdown hands the lease back.
  EXPECT_EQ(standby.terminate(), 0);
  EXPECT_EQ(
      client_->get(types::kLease, kNs, "mistral-operator")["spec"].value("holderIdentity", ""), "");
}

TEST_F(OperatorScenario, TwoHundredInferenceServices) {
  OperatorProcess& op = start_operator({"--workers", "8"});
  constexpr int kCount = 200;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCount; ++i) {
    create_isvc(sample("mistral-7b-cpu.yaml", "svc-" + std::to_string(i)));
  }
  size_t deployments = 0, services = 0;
  const bool all = eventually(
      [&] {
        // Only what the operator made: a real cluster has its own Service in default.
        kube::ListOptions owned;
        owned.label_selector = "app.kubernetes.io/managed-by=mistral-operator";
        deployments = client_->list(types::kDeployment, kNs, owned).items.size();
        services = client_->list(types::kService, kNs, owned).items.size();
        return deployments == size_t(kCount) && services == size_t(kCount);
      },
      180s, 1s);
  ASSERT_TRUE(all) << deployments << " Deployments and " << services << " Services of " << kCount;
  const long rss = op.resident_bytes();
  std::printf("mistral-operator: %d InferenceServices reconciled in %.1f s, %.1f MiB resident\n",
              kCount,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
              double(rss) / (1 << 20));
  RecordProperty("operator_rss_bytes", std::to_string(rss));
  EXPECT_GT(rss, 0);
#ifndef __SANITIZE_ADDRESS__  // ASan's shadow memory and quarantine multiply the footprint
  EXPECT_LT(rss, 256L << 20);
#endif
}

}  // namespace
