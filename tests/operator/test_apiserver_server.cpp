// The fake kube-apiserver as a server: HTTPS with its generated certificates, authentication,
// stop/start over the same port and objects, discovery documents, failure injection and the
// in-process access tests use to play other actors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api_server.h"
#include "recorded_samples.h"
#include "test_https_client.h"

namespace {

using fakeapi::ApiServer;
using fakeapi::HttpsTestClient;
using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kSamples = fs::path(MF_SHARED_DIR) / "k8s-api-samples";

fs::path temp_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("fakeapi-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const json kConfigMap = {{"apiVersion", "v1"},
                         {"kind", "ConfigMap"},
                         {"metadata", {{"name", "settings"}}},
                         {"data", {{"mode", "fast"}}}};

TEST(ApiServerTest, ServesOverHttpsWithTheAdminKubeconfig) {
  ApiServer server({.dir = temp_dir("kubeconfig")});
  server.start();
  ASSERT_NE(server.port(), 0);
  EXPECT_EQ(server.url(), "https://127.0.0.1:" + std::to_string(server.port()));
  std::ifstream in(server.kubeconfig_path());
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("server: " + server.url()), std::string::npos);
  EXPECT_NE(text.str().find("client-certificate-data: "), std::string::npos);
  EXPECT_NE(text.str().find("certificate-authority-data: "), std::string::npos);

  HttpsTestClient client(server.certificates(), server.port());
  const auto version = client.request("GET", "/version");
  ASSERT_EQ(version.status, 200);
  EXPECT_EQ(version.json()["major"], "1");
  EXPECT_EQ(version.headers.at("content-type"), "application/json");
}

TEST(ApiServerTest, StopClosesAndStartKeepsPortAndObjects) {
  ApiServer server({.dir = temp_dir("restart")});
  server.start();
  const unsigned short port = server.port();
  HttpsTestClient client(server.certificates(), port);
  ASSERT_EQ(
      client.request("POST", "/api/v1/namespaces/default/configmaps", kConfigMap.dump()).status,
      201);
  const auto before =
      client.request("GET", "/api/v1/namespaces/default/configmaps/settings").json();
  server.stop();
  EXPECT_THROW(client.request("GET", "/version", "", "application/json", "application/json",
                              std::chrono::seconds(2)),
               std::runtime_error);
  server.start();
  EXPECT_EQ(server.port(), port);
  const auto after = client.request("GET", "/api/v1/namespaces/default/configmaps/settings");
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(after.json(), before);
  // Revisions go on from where they were.
  const auto list = client.request("GET", "/api/v1/namespaces/default/configmaps").json();
  EXPECT_GE(std::stoull(list["metadata"]["resourceVersion"].get<std::string>()),
            std::stoull(before["metadata"]["resourceVersion"].get<std::string>()));
}

TEST(ApiServerTest, AuthenticatesByClientCertificateOrToken) {
  ApiServer server({.dir = temp_dir("auth"), .token = "secret-token"});
  server.start();
  HttpsTestClient by_token(server.certificates(), server.port(),
                           {.client_certificate = false, .bearer_token = "secret-token"});
  EXPECT_EQ(by_token.request("GET", "/api/v1/namespaces").status, 200);
  HttpsTestClient bad_token(server.certificates(), server.port(),
                            {.client_certificate = false, .bearer_token = "not-a-valid-token"});
  const auto denied = bad_token.request("GET", "/apis/apps/v1/namespaces/default/deployments");
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.json()["reason"], "Unauthorized");
  HttpsTestClient anonymous(server.certificates(), server.port(), {.client_certificate = false});
  EXPECT_EQ(anonymous.request("GET", "/api/v1/namespaces").status, 401);

  const auto sample = fakeapi::load_recorded_sample(kSamples, "error-401-unauthorized");
  if (!sample) GTEST_SKIP() << "recorded samples not found in " << kSamples;
  EXPECT_EQ(denied.status, sample->status);
  EXPECT_EQ(denied.ordered_json(), nlohmann::ordered_json::parse(sample->response_body));
}

TEST(ApiServerTest, UnknownPathsArePlainText404) {
  ApiServer server({.dir = temp_dir("unknown")});
  server.start();
  HttpsTestClient client(server.certificates(), server.port());
  const auto r = client.request("GET", "/apis/example.com/v1/namespaces/samples/gadgets");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, "404 page not found\n");
  EXPECT_EQ(r.headers.at("content-type"), "text/plain; charset=utf-8");
  const auto sample = fakeapi::load_recorded_sample(kSamples, "error-404-unknown-resource");
  if (!sample) GTEST_SKIP() << "recorded samples not found in " << kSamples;
  EXPECT_EQ(r.body, sample->response_body);
  EXPECT_EQ(r.headers.at("content-type"), sample->response_headers.at("content-type"));
}

TEST(ApiServerTest, DiscoveryDescribesBuiltInGroups) {
  ApiServer server({.dir = temp_dir("discovery")});
  server.start();
  HttpsTestClient client(server.certificates(), server.port());
  const json api = client.request("GET", "/api").json();
  EXPECT_EQ(api["kind"], "APIVersions");
  EXPECT_EQ(api["versions"], json::array({"v1"}));
  const json groups = client.request("GET", "/apis").json();
  EXPECT_EQ(groups["kind"], "APIGroupList");
  std::set<std::string> names;
  for (const auto& g : groups["groups"]) names.insert(g["name"].get<std::string>());
  for (const char* g : {"apps", "policy", "coordination.k8s.io", "discovery.k8s.io",
                        "events.k8s.io", "apiextensions.k8s.io"}) {
    EXPECT_TRUE(names.count(g)) << g;
  }
  const json apps = client.request("GET", "/apis/apps/v1").json();
  EXPECT_EQ(apps["groupVersion"], "apps/v1");
  std::map<std::string, json> by_name;
  for (const auto& r : apps["resources"]) by_name[r["name"].get<std::string>()] = r;
  ASSERT_TRUE(by_name.count("deployments"));
  EXPECT_EQ(by_name["deployments"]["shortNames"], json::array({"deploy"}));
  EXPECT_EQ(by_name["deployments"]["categories"], json::array({"all"}));
  EXPECT_EQ(by_name["deployments/scale"]["kind"], "Scale");
  EXPECT_EQ(by_name["deployments/scale"]["group"], "autoscaling");
  EXPECT_TRUE(by_name.count("deployments/status"));
  const json core = client.request("GET", "/api/v1").json();
  bool namespaces_cluster_scoped = false;
  for (const auto& r : core["resources"]) {
    if (r["name"] == "namespaces") namespaces_cluster_scoped = !r["namespaced"].get<bool>();
  }
  EXPECT_TRUE(namespaces_cluster_scoped);
  EXPECT_EQ(client.request("GET", "/apis/example.com/v1").status, 404);
  const json openapi = client.request("GET", "/openapi/v3").json();
  EXPECT_TRUE(openapi["paths"].contains("apis/apps/v1"));
}

TEST(ApiServerTest, InProcessAccessRunsTheSameSemantics) {
  ApiServer server({.dir = temp_dir("inprocess")});
  const json created = server.create("/api/v1/namespaces/default/configmaps", kConfigMap);
  EXPECT_EQ(created["metadata"]["name"], "settings");
  EXPECT_FALSE(created["metadata"]["uid"].get<std::string>().empty());
  EXPECT_EQ(created["metadata"]["managedFields"][0]["manager"], "kube-controller-manager");
  const auto got = server.get("/api/v1/namespaces/default/configmaps/settings");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, created);
  EXPECT_FALSE(server.get("/api/v1/namespaces/default/configmaps/absent").has_value());
  try {
    server.create("/api/v1/namespaces/default/configmaps", kConfigMap);
    FAIL() << "a second create succeeded";
  } catch (const fakeapi::ApiError& e) {
    EXPECT_EQ(e.code, 409);
    EXPECT_EQ(e.status["reason"], "AlreadyExists");
  }
  const json patched = server.patch("/api/v1/namespaces/default/configmaps/settings",
                                    {{"data", {{"mode", "slow"}}}});
  EXPECT_EQ(patched["data"]["mode"], "slow");
  json stale = created;
  stale["data"]["mode"] = "other";
  EXPECT_THROW(server.put("/api/v1/namespaces/default/configmaps/settings", stale),
               fakeapi::ApiError);
  EXPECT_TRUE(server.remove("/api/v1/namespaces/default/configmaps/settings"));
  EXPECT_FALSE(server.remove("/api/v1/namespaces/default/configmaps/settings"));
}

TEST(ApiServerTest, InjectedFailuresAndRequestCounts) {
  ApiServer server({.dir = temp_dir("faults")});
  server.start();
  HttpsTestClient client(server.certificates(), server.port());
  const std::string path = "/api/v1/namespaces/default/configmaps";
  server.fail_next("POST", path, 503, 2);
  EXPECT_EQ(client.request("POST", path, kConfigMap.dump()).status, 503);
  const auto second = client.request("POST", path, kConfigMap.dump());
  EXPECT_EQ(second.status, 503);
  EXPECT_EQ(second.json()["reason"], "ServiceUnavailable");
  EXPECT_EQ(client.request("POST", path, kConfigMap.dump()).status, 201);
  server.fail_next("GET", path, 500, 1);
  EXPECT_EQ(client.request("GET", path).status, 500);
  EXPECT_EQ(client.request("GET", path).status, 200);
  EXPECT_EQ(server.request_count("POST", path), 3);
  EXPECT_EQ(server.request_count("GET", path), 2);
  EXPECT_EQ(server.request_count("DELETE", path), 0);
}

}  // namespace
