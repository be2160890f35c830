// The fake API server against the exchanges recorded from a real kube-apiserver v1.32
// (../shared/k8s-api-samples): each recorded request is replayed in the recorded order and the
// response must have the real status code, the same shape (key paths and value types) and,
// where the server's answer does not depend on timing or revisions, the same body.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "api_server.h"
#include "recorded_samples.h"
#include "test_https_client.h"

namespace {

using fakeapi::ApiServer;
using fakeapi::HttpsTestClient;
using fakeapi::RecordedSample;
using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kSamples = fs::path(MF_SHARED_DIR) / "k8s-api-samples";

// The key paths only one of the two has, "+path" for the fake's and "-path" for the real's.
std::string shape_difference(const json& fake, const json& real) {
  const auto a = fakeapi::json_shape(fake);
  const auto b = fakeapi::json_shape(real);
  std::string out;
  for (const auto& [path, type] : a) {
    auto it = b.find(path);
    if (it == b.end() || it->second != type) out += " +" + path + ":" + type;
  }
  for (const auto& [path, type] : b) {
    auto it = a.find(path);
    if (it == a.end() || it->second != type) out += " -" + path + ":" + type;
  }
  return out;
}

class RecordedSamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kSamples / "README.txt")) {
      GTEST_SKIP() << "recorded kube-apiserver samples not found in " << kSamples;
    }
    dir_ = fs::temp_directory_path() / ("fakeapi-samples-" + std::to_string(::getpid()));
    server_ = std::make_unique<ApiServer>(fakeapi::ApiServerOptions{.dir = dir_});
    server_->start();
    client_ = std::make_unique<HttpsTestClient>(server_->certificates(), server_->port());
    server_->create(
        "/api/v1/namespaces",
        {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "samples"}}}});
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
    fs::remove_all(dir_);
  }

  RecordedSample sample(const std::string& name) {
    auto s = fakeapi::load_recorded_sample(kSamples, name);
    if (!s) throw std::runtime_error("sample " + name + " missing");
    return *s;
  }

  // Replays the sample's request; checks the status code and the body's shape.
  fakeapi::ClientResponse replay(const std::string& name, bool compare_shape = true) {
    const RecordedSample s = sample(name);
    const std::string accept =
        s.request_headers.count("accept") ? s.request_headers.at("accept") : "application/json";
    const std::string type = s.request_headers.count("content-type")
                                 ? s.request_headers.at("content-type")
                                 : "application/json";
    std::map<std::string, std::string> extra;
    if (s.request_headers.count("impersonate-user")) {
      extra["Impersonate-User"] = s.request_headers.at("impersonate-user");
    }
    auto r = client_->request(s.method, s.target, s.request_body, type, accept,
                              std::chrono::seconds(10), extra);
    EXPECT_EQ(r.status, s.status) << name << ": " << r.body;
    const json real = json::parse(s.response_body, nullptr, false);
    if (!real.is_discarded() && compare_shape) {
      EXPECT_EQ(shape_difference(r.json(), real), "") << name;
    }
    return r;
  }

  // The body must equal the recorded one, key order included.
  void replay_exact(const std::string& name) {
    const auto r = replay(name);
    EXPECT_EQ(r.ordered_json(), nlohmann::ordered_json::parse(sample(name).response_body)) << name;
  }

  fs::path dir_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<HttpsTestClient> client_;
};

std::string without_numbers(const std::string& s) {
  return std::regex_replace(s, std::regex("[0-9]+"), "N");
}

TEST_F(RecordedSamplesTest, CustomResourceLifecycleMatchesTheRealServer) {
  replay("crd-create");
  const auto crd = client_->request(
      "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
  EXPECT_EQ(crd.json()["status"]["conditions"][1]["type"], "Established");
  const auto discovery = replay("discovery-example.com");
  EXPECT_EQ(discovery.json()["resources"][0]["shortNames"], json::array({"wg"}));

  const auto created = replay("cr-create");
  EXPECT_EQ(created.json()["metadata"]["generation"], 1);
  EXPECT_EQ(
      created.json()["metadata"]["managedFields"],
      json::parse(sample("cr-create").response_body)["metadata"]["managedFields"].at(0).is_object()
          ? created.json()["metadata"]["managedFields"]
          : json());
  // The Update manager's fields are those of the recorded create (manager from the user agent).
  json real_fields = json::parse(sample("cr-create").response_body)["metadata"]["managedFields"][0];
  json fake_fields = created.json()["metadata"]["managedFields"][0];
  EXPECT_EQ(fake_fields["fieldsV1"], real_fields["fieldsV1"]);
  EXPECT_EQ(fake_fields["operation"], "Update");

  replay("cr-get");
  const auto merged = replay("cr-merge-patch");
  EXPECT_EQ(merged.json()["metadata"]["generation"], 2);
  EXPECT_EQ(merged.json()["metadata"]["managedFields"][1]["manager"], "sample-merge");
  const auto patched = replay("cr-json-patch");
  EXPECT_EQ(patched.json()["spec"]["replicas"], 3);
  const auto status = replay("cr-status-patch");
  EXPECT_EQ(status.json()["metadata"]["generation"], 3) << "status writes keep the generation";
  EXPECT_EQ(status.json()["status"],
            json::parse(sample("cr-status-patch").response_body)["status"]);
  const auto scale = replay("cr-scale-get");
  EXPECT_EQ(scale.json()["spec"], json::parse(sample("cr-scale-get").response_body)["spec"]);
  EXPECT_EQ(scale.json()["status"], json::parse(sample("cr-scale-get").response_body)["status"]);
  const auto scaled = replay("cr-scale-patch");
  EXPECT_EQ(scaled.json()["spec"]["replicas"], 5);

  // PUT with the current resourceVersion (the recorded one belongs to the real server).
  json object =
      client_->request("GET", "/apis/example.com/v1/namespaces/samples/widgets/w1").json();
  object["spec"]["color"] = "red";
  const auto put =
      client_->request("PUT", "/apis/example.com/v1/namespaces/samples/widgets/w1", object.dump());
  EXPECT_EQ(put.status, 200);
  EXPECT_EQ(fakeapi::json_shape(put.json()),
            fakeapi::json_shape(json::parse(sample("cr-put-update").response_body)));
  const auto stale =
      client_->request("PUT", "/apis/example.com/v1/namespaces/samples/widgets/w1", object.dump());
  const auto real_stale = sample("error-409-conflict-stale-rv");
  EXPECT_EQ(stale.status, real_stale.status);
  EXPECT_EQ(stale.ordered_json(), nlohmann::ordered_json::parse(real_stale.response_body));
}

TEST_F(RecordedSamplesTest, ServerSideApplyMatchesTheRealServer) {
  replay("crd-create");
  const auto created = replay("ssa-apply-create");
  const json real_created = json::parse(sample("ssa-apply-create").response_body);
  EXPECT_EQ(created.json()["spec"], real_created["spec"]) << "replicas defaulted, not owned";
  EXPECT_EQ(created.json()["metadata"]["managedFields"][0]["fieldsV1"],
            real_created["metadata"]["managedFields"][0]["fieldsV1"]);
  const auto updated = replay("ssa-apply-update");
  EXPECT_EQ(
      updated.json()["metadata"]["managedFields"][0]["fieldsV1"],
      json::parse(
          sample("ssa-apply-update").response_body)["metadata"]["managedFields"][0]["fieldsV1"]);
  const auto status = replay("ssa-apply-status");
  EXPECT_EQ(status.json()["status"],
            json::parse(sample("ssa-apply-status").response_body)["status"]);
  replay("ssa-apply-json-body");
  replay_exact("error-409-ssa-field-conflict");
}

TEST_F(RecordedSamplesTest, ErrorsMatchTheRealServer) {
  replay("crd-create");
  replay("cr-create");
  replay("ssa-apply-create");
  replay_exact("error-409-already-exists");
  replay_exact("error-422-invalid-name");
  replay_exact("error-400-malformed-json");
  replay_exact("error-404-cr-not-found");
  replay_exact("error-404-namespace-not-found");
  replay_exact("error-403-forbidden");
  replay_exact("error-422-invalid-schema");
  replay_exact("error-422-invalid-type-and-required");

  const auto pre = replay("error-409-delete-precondition");
  const auto real =
      nlohmann::ordered_json::parse(sample("error-409-delete-precondition").response_body);
  EXPECT_EQ(without_numbers(pre.ordered_json().dump()), without_numbers(real.dump()));
}

TEST_F(RecordedSamplesTest, ListsMatchTheRealServer) {
  replay("crd-create");
  replay("cr-create");
  for (const char* name : {"w2", "w3"}) {
    json w = json::parse(sample("cr-create").request_body);
    w["metadata"]["name"] = name;
    client_->request("POST", "/apis/example.com/v1/namespaces/samples/widgets", w.dump());
  }
  // The recorded lists hold objects in other states; the lists' own shapes must match.
  auto top_keys = [](const json& list) {
    std::set<std::string> keys;
    for (const auto& [k, v] : list.items()) keys.insert(k);
    for (const auto& [k, v] : list["metadata"].items()) keys.insert("metadata." + k);
    return keys;
  };
  const auto labelled = replay("list-label-selector", false);
  EXPECT_EQ(labelled.json()["items"].size(), 3u);
  EXPECT_EQ(top_keys(labelled.json()),
            top_keys(json::parse(sample("list-label-selector").response_body)));
  const auto table = replay("list-table-format", false);
  const json real_table = json::parse(sample("list-table-format").response_body);
  EXPECT_EQ(table.json()["columnDefinitions"], real_table["columnDefinitions"]);
  EXPECT_EQ(top_keys(table.json()), top_keys(real_table));
  EXPECT_EQ(table.json()["rows"][0]["cells"], json::array({"w1", 2, nullptr}));
  const auto page1 = replay("list-limit-1-page1", false);
  EXPECT_EQ(top_keys(page1.json()),
            top_keys(json::parse(sample("list-limit-1-page1").response_body)));
  EXPECT_EQ(page1.json()["metadata"]["remainingItemCount"], 2);
  EXPECT_EQ(page1.json()["items"][0]["metadata"]["name"], "w1");
  const std::string token = page1.json()["metadata"]["continue"].get<std::string>();
  const auto page2 = client_->request(
      "GET", "/apis/example.com/v1/namespaces/samples/widgets?limit=1&continue=" + token);
  EXPECT_EQ(page2.json()["items"][0]["metadata"]["name"], "w2");
  EXPECT_EQ(page2.json()["metadata"]["remainingItemCount"], 1);

  // A write, then a compaction: the token's revision is gone.
  server_->patch("/apis/example.com/v1/namespaces/samples/widgets/w3",
                 {{"spec", {{"color", "red"}}}});
  server_->compact();
  const auto expired = client_->request(
      "GET", "/apis/example.com/v1/namespaces/samples/widgets?limit=1&continue=" + token);
  const auto real_expired = sample("error-410-list-continue-expired");
  EXPECT_EQ(expired.status, 410);
  auto fake_body = expired.ordered_json();
  auto real_body = nlohmann::ordered_json::parse(real_expired.response_body);
  EXPECT_FALSE(fake_body["metadata"]["continue"].get<std::string>().empty());
  fake_body["metadata"].erase("continue");
  real_body["metadata"].erase("continue");
  EXPECT_EQ(fake_body, real_body);
  replay_exact("error-410-list-exact-rv-compacted");
}

TEST_F(RecordedSamplesTest, WatchAfterCompactionIsAnExpiredErrorEvent) {
  replay("crd-create");
  replay("cr-create");
  server_->compact();
  const auto s = sample("error-410-watch-too-old-rv");
  auto watch = client_->watch(s.target);
  EXPECT_EQ(watch->response().status, 200);
  EXPECT_EQ(watch->response().headers.at("transfer-encoding"), "chunked");
  const auto event = watch->next(std::chrono::seconds(5));
  ASSERT_TRUE(event.has_value());
  const json real = json::parse(s.response_body.substr(0, s.response_body.find('\n')));
  EXPECT_EQ(shape_difference(*event, real), "");
  EXPECT_EQ((*event)["object"]["code"], 410);
  EXPECT_EQ((*event)["object"]["reason"], "Expired");
  EXPECT_TRUE((*event)["object"]["message"].get<std::string>().starts_with(
      "too old resource version: 1 ("));
}

}  // namespace
