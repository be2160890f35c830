// Protobuf request bodies at the fake API server: typed client-go clients (helm's release
// storage) create, update and delete Secrets in Kubernetes' protobuf encoding.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "api_server.h"
#include "test_https_client.h"

namespace {

using fakeapi::ApiServer;
using fakeapi::HttpsTestClient;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kProtobuf = "application/vnd.kubernetes.protobuf";
const std::string kSecrets = "/api/v1/namespaces/default/secrets";

// The protobuf wire format, enough to write what client-go writes.
std::string varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}

std::string bytes_field(int number, const std::string& value) {
  return varint(static_cast<uint64_t>(number) << 3 | 2) + varint(value.size()) + value;
}

std::string varint_field(int number, uint64_t value) {
  return varint(static_cast<uint64_t>(number) << 3) + varint(value);
}

std::string map_entry(int number, const std::string& key, const std::string& value) {
  return bytes_field(number, bytes_field(1, key) + bytes_field(2, value));
}

// "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw}.
std::string envelope(const std::string& api_version, const std::string& kind,
                     const std::string& raw) {
  return std::string("k8s\0", 4) +
         bytes_field(1, bytes_field(1, api_version) + bytes_field(2, kind)) + bytes_field(2, raw);
}

// A Secret as helm's release storage writes it; ObjectMeta's empty strings are on the wire too.
std::string secret(const std::string& status, const std::string& resource_version = "") {
  const std::string meta = bytes_field(1, "sh.helm.release.v1.demo.v1") + bytes_field(2, "") +
                           bytes_field(3, "default") + bytes_field(6, resource_version) +
                           map_entry(11, "owner", "helm") + map_entry(11, "status", status);
  return envelope("v1", "Secret",
                  bytes_field(1, meta) +
                      map_entry(2, "release", std::string("\x1f\x8b\x00\xff", 4)) +
                      bytes_field(3, "helm.sh/release.v1") + varint_field(5, 0));
}

fs::path temp_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("fakeapi-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

class ApiServerProtobufTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    client_ = std::make_unique<HttpsTestClient>(server_.certificates(), server_.port());
  }
  ApiServer server_{{.dir = temp_dir("protobuf")}};
  std::unique_ptr<HttpsTestClient> client_;
};

TEST_F(ApiServerProtobufTest, CreatesAndUpdatesASecret) {
  const auto created = client_->request("POST", kSecrets, secret("deployed"), kProtobuf,
                                        std::string(kProtobuf) + ",application/json");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.headers.at("content-type"), "application/json");
  const json obj = created.json();
  EXPECT_EQ(obj["metadata"]["name"], "sh.helm.release.v1.demo.v1");
  EXPECT_EQ(obj["metadata"]["labels"], (json{{"owner", "helm"}, {"status", "deployed"}}));
  EXPECT_FALSE(obj["metadata"].contains("generateName"));
  EXPECT_EQ(obj["type"], "helm.sh/release.v1");
  EXPECT_EQ(obj["data"]["release"], "H4sA/w==");  // base64 of the raw bytes
  EXPECT_EQ(obj["immutable"], false);

  const std::string path = kSecrets + "/sh.helm.release.v1.demo.v1";
  const auto updated = client_->request(
      "PUT", path, secret("superseded", obj["metadata"]["resourceVersion"]), kProtobuf);
  ASSERT_EQ(updated.status, 200) << updated.body;
  const std::optional<json> stored = server_.get(path);
  ASSERT_TRUE(stored);
  EXPECT_EQ((*stored)["metadata"]["labels"]["status"], "superseded");
  EXPECT_EQ((*stored)["metadata"]["uid"], obj["metadata"]["uid"]);
}

TEST_F(ApiServerProtobufTest, DeletesWithProtobufDeleteOptions) {
  ASSERT_EQ(client_->request("POST", kSecrets, secret("deployed"), kProtobuf).status, 201);
  const std::string path = kSecrets + "/sh.helm.release.v1.demo.v1";
  // Preconditions are read from the body: a wrong uid is a conflict.
  const std::string wrong_uid =
      envelope("meta.k8s.io/v1", "DeleteOptions", bytes_field(2, bytes_field(1, "not-the-uid")));
  const auto conflict = client_->request("DELETE", path, wrong_uid, kProtobuf);
  EXPECT_EQ(conflict.status, 409) << conflict.body;
  EXPECT_TRUE(server_.get(path));

  const std::string foreground =
      envelope("meta.k8s.io/v1", "DeleteOptions", bytes_field(4, "Foreground"));
  const auto deleted = client_->request("DELETE", path, foreground, kProtobuf);
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_FALSE(server_.get(path));
}

TEST_F(ApiServerProtobufTest, RefusesWhatItCannotDecodeAndKeepsServing) {
  const std::string truncated = secret("deployed").substr(0, 20);
  const auto bad = client_->request("POST", kSecrets, truncated, kProtobuf);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.json()["message"].get<std::string>().find("malformed protobuf"), std::string::npos);

  const auto configmap = client_->request(
      "POST", "/api/v1/namespaces/default/configmaps",
      envelope("v1", "ConfigMap", bytes_field(1, bytes_field(1, "settings"))), kProtobuf);
  EXPECT_EQ(configmap.status, 415) << configmap.body;

  // A body that is neither JSON nor UTF-8: the error quotes it, and the answer is still JSON.
  const auto binary = client_->request("POST", kSecrets, "\xc3\x28\xff", "application/json");
  EXPECT_EQ(binary.status, 400);
  EXPECT_FALSE(binary.json().is_discarded());
  EXPECT_EQ(client_->request("GET", "/version").status, 200);
}

}  // namespace
