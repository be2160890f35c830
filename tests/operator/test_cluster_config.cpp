// Kubeconfig and in-cluster configuration: what the operator connects with, and the errors a
// broken file gets.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "kube/base64.h"
#include "kube/cluster_config.h"

namespace {

namespace fs = std::filesystem;

class ClusterConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mf-kubeconfig-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path;
  }

  fs::path dir_;
};

TEST(Base64, DecodesWithAndWithoutPaddingAndRejectsGarbage) {
  EXPECT_EQ(kube::base64_decode("aGVsbG8="), "hello");
  EXPECT_EQ(kube::base64_decode("aGVsbG8"), "hello");
  EXPECT_EQ(kube::base64_decode("aGVs\nbG8h"), "hello!");
  EXPECT_THROW(kube::base64_decode("aGV*bG8="), std::invalid_argument);
}

TEST_F(ClusterConfigTest, InlineDataOfTheCurrentContext) {
  const fs::path path = write("config", R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: prod
  cluster: {server: https://prod.example:6443}
- name: local
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: Q0EtUEVN
users:
- name: admin
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
contexts:
- name: dev
  context: {cluster: local, user: admin, namespace: team-a}
- name: other
  context: {cluster: prod, user: admin}
)");
  const kube::ClusterConfig config = kube::load_kubeconfig(path);
  EXPECT_EQ(config.server, "https://127.0.0.1:6443");
  EXPECT_EQ(config.tls.ca_pem, "CA-PEM");
  EXPECT_EQ(config.tls.client_cert_pem, "CERT");
  EXPECT_EQ(config.tls.client_key_pem, "KEY");
  EXPECT_EQ(config.namespace_name, "team-a");
  EXPECT_EQ(config.token->token(), "");

  const kube::ClusterConfig other = kube::load_kubeconfig(path, "other");
  EXPECT_EQ(other.server, "https://prod.example:6443");
  EXPECT_EQ(other.namespace_name, "default");
}

TEST_F(ClusterConfigTest, FilePathsAreRelativeToTheKubeconfigAndTokensAreRead) {
  write("certs/ca.crt", "CA-FROM-FILE");
  write("token", "  secret-token\n");
  const fs::path path = write("config", R"(current-context: c
clusters: [{name: k, cluster: {server: "https://k:443", certificate-authority: certs/ca.crt}}]
users: [{name: u, user: {tokenFile: )" + (dir_ / "token").string() +
                                            R"(}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)");
  const kube::ClusterConfig config = kube::load_kubeconfig(path);
  EXPECT_EQ(config.tls.ca_pem, "CA-FROM-FILE");
  EXPECT_EQ(config.token->token(), "secret-token");
}

TEST_F(ClusterConfigTest, ErrorsNameTheProblem) {
  const auto message_of = [&](const std::string& text) {
    const fs::path path = write("bad", text);
    try {
      kube::load_kubeconfig(path);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message_of("clusters: []\n").find("no current-context"), std::string::npos);
  EXPECT_NE(message_of("current-context: x\ncontexts: []\n").find("no context entry named \"x\""),
            std::string::npos);
  EXPECT_NE(message_of("current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
                       "clusters: [{name: k, cluster: {}}]\n")
                .find("has no server"),
            std::string::npos);
  EXPECT_NE(message_of("current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
                       "clusters: [{name: k, cluster: {server: 'https://k'}}]\n"
                       "users: [{name: u, user: {exec: {command: aws}}}]\n")
                .find("exec"),
            std::string::npos);
  EXPECT_NE(message_of("{ not yaml").find("cannot load kubeconfig"), std::string::npos);
  EXPECT_THROW(kube::load_kubeconfig(dir_ / "missing"), std::runtime_error);
}

TEST_F(ClusterConfigTest, InClusterUsesTheServiceAccountFiles) {
  write("sa/ca.crt", "SA-CA");
  write("sa/token", "sa-token\n");
  write("sa/namespace", "operators\n");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  const kube::ClusterConfig config = kube::in_cluster_config(dir_ / "sa");
  EXPECT_EQ(config.server, "https://10.96.0.1:443");
  EXPECT_EQ(config.tls.ca_pem, "SA-CA");
  EXPECT_EQ(config.token->token(), "sa-token");
  EXPECT_EQ(config.namespace_name, "operators");

  ::setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  EXPECT_EQ(kube::in_cluster_config(dir_ / "sa").server, "https://[fd00::1]:443");

  ::unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_THROW(kube::in_cluster_config(dir_ / "sa"), std::runtime_error);
  ::unsetenv("KUBERNETES_SERVICE_PORT");
}

}  // namespace
