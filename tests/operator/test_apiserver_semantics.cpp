// Resource semantics of the fake API server: strategic merge patch of built-in types, status
// subresource rules and generation, built-in defaults, selectors, field validation, server-side
// apply ownership, finalizers, garbage collection by ownerReferences and namespace and CRD
// deletion.
#include <gtest/gtest.h>

#include <filesystem>

#include "api_server.h"
#include "test_https_client.h"

namespace {

using fakeapi::ApiError;
using fakeapi::ApiServer;
using fakeapi::HttpsTestClient;
using nlohmann::json;
namespace fs = std::filesystem;

const std::string kDeployments = "/apis/apps/v1/namespaces/default/deployments";
const std::string kReplicaSets = "/apis/apps/v1/namespaces/default/replicasets";
const std::string kPods = "/api/v1/namespaces/default/pods";
const std::string kConfigMaps = "/api/v1/namespaces/default/configmaps";
const std::string kWidgets = "/apis/example.com/v1/namespaces/default/widgets";

json deployment(const std::string& name) {
  return json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" + name +
                     R"("},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[
        {"name":"web","image":"nginx:1.25","env":[{"name":"A","value":"1"}],
         "ports":[{"containerPort":80}]},
        {"name":"sidecar","image":"busybox"}]}}}})");
}

json owner_ref(const json& owner, bool controller = true) {
  return {{"apiVersion", owner["apiVersion"]}, {"kind", owner["kind"]},
          {"name", owner["metadata"]["name"]}, {"uid", owner["metadata"]["uid"]},
          {"controller", controller},          {"blockOwnerDeletion", true}};
}

json owned(const std::string& kind, const std::string& api_version, const std::string& name,
           const json& owner) {
  json obj = {{"apiVersion", api_version},
              {"kind", kind},
              {"metadata", {{"name", name}, {"ownerReferences", json::array({owner_ref(owner)})}}}};
  if (kind == "ReplicaSet") {
    obj["spec"] = deployment("x")["spec"];
  } else if (kind == "Pod") {
    obj["spec"] = {{"containers", json::array({{{"name", "c"}, {"image", "busybox"}}})}};
  } else {
    obj["data"] = {{"k", "v"}};
  }
  return obj;
}

const json kWidgetCrd = json::parse(R"({"apiVersion":"apiextensions.k8s.io/v1",
  "kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
  "spec":{"group":"example.com","scope":"Namespaced",
   "names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},
   "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
     "schema":{"openAPIV3Schema":{"type":"object","properties":{
       "spec":{"type":"object","properties":{"size":{"type":"string"},
         "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
           "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string"},
             "port":{"type":"integer"}}}}}},
       "status":{"type":"object","properties":{"phase":{"type":"string"}}}}}}}]}})");

class SemanticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fakeapi-semantics-" + std::to_string(::getpid()));
    server_ = std::make_unique<ApiServer>(fakeapi::ApiServerOptions{.dir = dir_});
    server_->start();
    client_ = std::make_unique<HttpsTestClient>(server_->certificates(), server_->port());
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
    fs::remove_all(dir_);
  }
  fs::path dir_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<HttpsTestClient> client_;
};

TEST_F(SemanticsTest, StrategicMergePatchMergesContainersByName) {
  server_->create(kDeployments, deployment("web"));
  const json patch = json::parse(R"({"spec":{"template":{"spec":{"containers":[
      {"name":"web","image":"nginx:1.27","env":[{"name":"B","value":"2"}]},
      {"name":"sidecar","$patch":"delete"}]}}}})");
  const auto r = client_->request("PATCH", kDeployments + "/web", patch.dump(),
                                  "application/strategic-merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  const json containers = r.json()["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 1u);
  EXPECT_EQ(containers[0]["image"], "nginx:1.27");
  EXPECT_EQ(containers[0]["env"].size(), 2u) << "env merged by name";
  EXPECT_EQ(containers[0]["ports"][0]["containerPort"], 80) << "untouched fields stay";
  EXPECT_EQ(r.json()["metadata"]["generation"], 2);
  // Custom resources have no strategic merge patch.
  server_->create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", kWidgetCrd);
  server_->create(kWidgets, {{"apiVersion", "example.com/v1"},
                             {"kind", "Widget"},
                             {"metadata", {{"name", "w"}}},
                             {"spec", {{"size", "s"}}}});
  EXPECT_EQ(
      client_->request("PATCH", kWidgets + "/w", "{}", "application/strategic-merge-patch+json")
          .status,
      415);
}

TEST_F(SemanticsTest, StatusSubresourceAndGeneration) {
  json d = server_->create(kDeployments, deployment("web"));
  EXPECT_EQ(d["metadata"]["generation"], 1);
  EXPECT_FALSE(d.contains("status") && d["status"].contains("replicas"));
  EXPECT_EQ(d["spec"]["strategy"]["type"], "RollingUpdate") << "defaults";
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent");
  // The main resource ignores status; metadata changes keep the generation.
  d["status"] = {{"replicas", 7}};
  d["metadata"]["labels"] = {{"team", "a"}};
  d = server_->put(kDeployments + "/web", d);
  EXPECT_FALSE(d.contains("status") && d["status"].contains("replicas"));
  EXPECT_EQ(d["metadata"]["generation"], 1);
  // /status ignores everything but status.
  d["status"] = {{"replicas", 2}, {"readyReplicas", 1}};
  d["spec"]["replicas"] = 9;
  d = server_->put(kDeployments + "/web/status", d);
  EXPECT_EQ(d["status"]["readyReplicas"], 1);
  EXPECT_EQ(d["spec"]["replicas"], 2);
  EXPECT_EQ(d["metadata"]["generation"], 1);
  EXPECT_EQ(d["metadata"]["managedFields"].back()["subresource"], "status");
  // A spec change bumps it; so does /scale.
  d = server_->patch(kDeployments + "/web/scale", {{"spec", {{"replicas", 4}}}});
  EXPECT_EQ(d["kind"], "Scale");
  EXPECT_EQ(d["status"]["selector"], "app=web");
  const json after = *server_->get(kDeployments + "/web");
  EXPECT_EQ(after["spec"]["replicas"], 4);
  EXPECT_EQ(after["metadata"]["generation"], 2);
}

TEST_F(SemanticsTest, ServiceDefaultsAndGenerateName) {
  const json svc = server_->create(
      "/api/v1/namespaces/default/services",
      {{"apiVersion", "v1"},
       {"kind", "Service"},
       {"metadata", {{"generateName", "web-"}}},
       {"spec", {{"selector", {{"app", "web"}}}, {"ports", json::array({{{"port", 80}}})}}}});
  const std::string name = svc["metadata"]["name"];
  EXPECT_TRUE(name.starts_with("web-"));
  EXPECT_EQ(name.size(), 9u);
  EXPECT_EQ(svc["spec"]["type"], "ClusterIP");
  EXPECT_TRUE(svc["spec"]["clusterIP"].get<std::string>().starts_with("10.96."));
  EXPECT_EQ(svc["spec"]["ports"][0]["targetPort"], 80);
  EXPECT_EQ(svc["spec"]["ports"][0]["protocol"], "TCP");
  try {
    server_->create("/api/v1/namespaces/absent/configmaps", owned("ConfigMap", "v1", "x", svc));
    FAIL() << "created in a missing namespace";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code, 404);
    EXPECT_EQ(e.status["message"], "namespaces \"absent\" not found");
  }
}

TEST_F(SemanticsTest, LabelAndFieldSelectors) {
  for (const auto& [name, labels] :
       std::vector<std::pair<std::string, json>>{{"a", {{"app", "web"}, {"tier", "front"}}},
                                                 {"b", {{"app", "db"}}},
                                                 {"c", json::object()}}) {
    server_->create(kConfigMaps, {{"apiVersion", "v1"},
                                  {"kind", "ConfigMap"},
                                  {"metadata", {{"name", name}, {"labels", labels}}}});
  }
  auto names = [&](const std::string& query) {
    std::vector<std::string> out;
    const auto r = client_->request("GET", kConfigMaps + "?" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    const json body = r.json();
    for (const auto& item : body["items"]) out.push_back(item["metadata"]["name"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names("labelSelector=app%3Dweb"), V({"a"}));
  EXPECT_EQ(names("labelSelector=app!%3Dweb"), V({"b", "c"}));
  EXPECT_EQ(names("labelSelector=app%20in%20(web,db)"), V({"a", "b"}));
  EXPECT_EQ(names("labelSelector=app%20notin%20(web)"), V({"b", "c"}));
  EXPECT_EQ(names("labelSelector=tier"), V({"a"}));
  EXPECT_EQ(names("labelSelector=!app"), V({"c"}));
  EXPECT_EQ(names("labelSelector=app,tier%3Dfront"), V({"a"}));
  EXPECT_EQ(names("fieldSelector=metadata.name%3Db"), V({"b"}));
  EXPECT_EQ(names("fieldSelector=metadata.namespace%3Ddefault,metadata.name!%3Da"), V({"b", "c"}));
  EXPECT_EQ(client_->request("GET", kConfigMaps + "?labelSelector=app%20in%20web").status, 400);
}

TEST_F(SemanticsTest, FieldValidationOfCustomResources) {
  server_->create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", kWidgetCrd);
  const json w = {{"apiVersion", "example.com/v1"},
                  {"kind", "Widget"},
                  {"metadata", {{"name", "w"}}},
                  {"spec", {{"size", "s"}, {"colour", "red"}}}};
  const auto strict = client_->request("POST", kWidgets + "?fieldValidation=Strict", w.dump());
  EXPECT_EQ(strict.status, 400);
  EXPECT_NE(strict.json()["message"].get<std::string>().find("unknown field \"spec.colour\""),
            std::string::npos);
  const auto warn = client_->request("POST", kWidgets + "?fieldValidation=Warn", w.dump());
  EXPECT_EQ(warn.status, 201);
  EXPECT_EQ(warn.headers.at("warning"), "299 - \"unknown field \\\"spec.colour\\\"\"");
  EXPECT_FALSE(warn.json()["spec"].contains("colour")) << "pruned";
}

TEST_F(SemanticsTest, ServerSideApplyOwnsListItemsAndRemovesDroppedFields) {
  server_->create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", kWidgetCrd);
  const std::string path = kWidgets + "/w?fieldManager=op";
  json config =
      json::parse(R"({"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},
      "spec":{"size":"s","ports":[{"name":"http","port":80},{"name":"metrics","port":9090}]}})");
  auto r = client_->request("PATCH", path, config.dump(), "application/apply-patch+yaml");
  ASSERT_EQ(r.status, 201) << r.body;
  const json fields = r.json()["metadata"]["managedFields"][0]["fieldsV1"];
  EXPECT_TRUE(fields["f:spec"]["f:ports"].contains("k:{\"name\":\"http\"}")) << fields.dump();
  EXPECT_TRUE(fields["f:spec"]["f:ports"]["k:{\"name\":\"http\"}"].contains("."));
  // Another manager takes one port item's field with an Update.
  server_->patch(kWidgets + "/w", json::parse(R"({"spec":{"size":"m"}})"),
                 "application/merge-patch+json", "other");
  // op stops applying metrics: it goes; size changed hands, so it stays although op dropped it.
  config["spec"] = json::parse(R"({"ports":[{"name":"http","port":80}]})");
  r = client_->request("PATCH", path, config.dump(), "application/apply-patch+yaml");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["spec"]["ports"].size(), 1u);
  EXPECT_EQ(r.json()["spec"]["size"], "m");
  // A conflicting apply by a third manager, then forced.
  config["spec"] = json::parse(R"({"size":"l"})");
  r = client_->request("PATCH", kWidgets + "/w?fieldManager=third", config.dump(),
                       "application/apply-patch+yaml");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.json()["details"]["causes"][0]["reason"], "FieldManagerConflict");
  EXPECT_EQ(r.json()["details"]["causes"][0]["message"],
            "conflict with \"other\" using example.com/v1");
  r = client_->request("PATCH", kWidgets + "/w?fieldManager=third&force=true", config.dump(),
                       "application/apply-patch+yaml");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["spec"]["size"], "l");
  // Applying the same configuration again changes nothing.
  const std::string rv = r.json()["metadata"]["resourceVersion"];
  r = client_->request("PATCH", kWidgets + "/w?fieldManager=third", config.dump(),
                       "application/apply-patch+yaml");
  EXPECT_EQ(r.json()["metadata"]["resourceVersion"], rv);
  // Apply needs a field manager.
  EXPECT_EQ(
      client_->request("PATCH", kWidgets + "/w", config.dump(), "application/apply-patch+yaml")
          .status,
      422);
}

TEST_F(SemanticsTest, FinalizersKeepDeletedObjectsUntilRemoved) {
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "held"}, {"finalizers", json::array({"example.com/hold"})}}}};
  server_->create(kConfigMaps, cm);
  const auto r = client_->request("DELETE", kConfigMaps + "/held");
  EXPECT_EQ(r.status, 200);
  const auto held = server_->get(kConfigMaps + "/held");
  ASSERT_TRUE(held.has_value());
  EXPECT_TRUE((*held)["metadata"].contains("deletionTimestamp"));
  json adding = *held;
  adding["metadata"]["finalizers"].push_back("example.com/more");
  EXPECT_THROW(server_->put(kConfigMaps + "/held", adding), ApiError);
  server_->patch(kConfigMaps + "/held", {{"metadata", {{"finalizers", nullptr}}}});
  EXPECT_FALSE(server_->get(kConfigMaps + "/held").has_value());
  // Preconditions.
  server_->create(kConfigMaps,
                  {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "pre"}}}});
  const json opts = {{"preconditions", {{"resourceVersion", "1"}}}};
  const auto conflict = client_->request("DELETE", kConfigMaps + "/pre", opts.dump());
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.json()["reason"], "Conflict");
}

TEST_F(SemanticsTest, GarbageCollectionFollowsPropagationPolicies) {
  // Background: the chain Deployment → ReplicaSet → Pod goes with its owner.
  json d = server_->create(kDeployments, deployment("bg"));
  json rs = server_->create(kReplicaSets, owned("ReplicaSet", "apps/v1", "bg-rs", d));
  server_->create(kPods, owned("Pod", "v1", "bg-pod", rs));
  EXPECT_TRUE(server_->remove(kDeployments + "/bg"));
  EXPECT_FALSE(server_->get(kReplicaSets + "/bg-rs").has_value());
  EXPECT_FALSE(server_->get(kPods + "/bg-pod").has_value());

  // Foreground: the owner waits, with a finalizer, for a dependent that is held up.
  d = server_->create(kDeployments, deployment("fg"));
  json held = owned("ConfigMap", "v1", "fg-cm", d);
  held["metadata"]["finalizers"] = json::array({"example.com/hold"});
  server_->create(kConfigMaps, held);
  const auto r = client_->request("DELETE", kDeployments + "/fg",
                                  json{{"propagationPolicy", "Foreground"}}.dump());
  EXPECT_EQ(r.status, 200);
  auto owner = server_->get(kDeployments + "/fg");
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ((*owner)["metadata"]["finalizers"], json::array({"foregroundDeletion"}));
  EXPECT_TRUE((*server_->get(kConfigMaps + "/fg-cm"))["metadata"].contains("deletionTimestamp"));
  server_->patch(kConfigMaps + "/fg-cm", {{"metadata", {{"finalizers", nullptr}}}});
  EXPECT_FALSE(server_->get(kConfigMaps + "/fg-cm").has_value());
  EXPECT_FALSE(server_->get(kDeployments + "/fg").has_value());

  // Orphan: dependents stay without the ownerReference.
  d = server_->create(kDeployments, deployment("or"));
  server_->create(kConfigMaps, owned("ConfigMap", "v1", "or-cm", d));
  client_->request("DELETE", kDeployments + "/or?propagationPolicy=Orphan");
  EXPECT_FALSE(server_->get(kDeployments + "/or").has_value());
  const auto orphan = server_->get(kConfigMaps + "/or-cm");
  ASSERT_TRUE(orphan.has_value());
  EXPECT_FALSE((*orphan)["metadata"].contains("ownerReferences"));
}

TEST_F(SemanticsTest, NamespaceAndCrdDeletionRemoveTheirContents) {
  server_->create("/api/v1/namespaces",
                  {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team"}}}});
  server_->create("/api/v1/namespaces/team/configmaps",
                  {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "c"}}}});
  EXPECT_TRUE(server_->remove("/api/v1/namespaces/team"));
  EXPECT_FALSE(server_->get("/api/v1/namespaces/team/configmaps/c").has_value());
  EXPECT_FALSE(server_->get("/api/v1/namespaces/team").has_value());

  server_->create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", kWidgetCrd);
  server_->create(kWidgets, {{"apiVersion", "example.com/v1"},
                             {"kind", "Widget"},
                             {"metadata", {{"name", "w"}}},
                             {"spec", {{"size", "s"}}}});
  EXPECT_EQ(client_->request("GET", "/apis/example.com/v1").status, 200);
  EXPECT_TRUE(server_->remove(
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"));
  EXPECT_EQ(client_->request("GET", "/apis/example.com/v1").status, 404);
  const auto gone = client_->request("GET", kWidgets);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body, "404 page not found\n");
}

TEST_F(SemanticsTest, JsonPatchFailuresAreInvalid) {
  server_->create(kConfigMaps, {{"apiVersion", "v1"},
                                {"kind", "ConfigMap"},
                                {"metadata", {{"name", "j"}}},
                                {"data", {{"a", "1"}}}});
  const json test_fails = json::parse(R"([{"op":"test","path":"/data/a","value":"2"}])");
  auto r = client_->request("PATCH", kConfigMaps + "/j", test_fails.dump(),
                            "application/json-patch+json");
  EXPECT_EQ(r.status, 422);
  const json ok = json::parse(R"([{"op":"test","path":"/data/a","value":"1"},
                                  {"op":"add","path":"/data/b","value":"2"},
                                  {"op":"remove","path":"/data/a"}])");
  r = client_->request("PATCH", kConfigMaps + "/j", ok.dump(), "application/json-patch+json");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["data"], json({{"b", "2"}}));
  EXPECT_EQ(
      client_->request("PATCH", kConfigMaps + "/j", "{", "application/merge-patch+json").status,
      400);
}

}  // namespace
