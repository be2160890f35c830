// The fixture of the operator's end-to-end tests: the fake API server with the CRD installed, a
// kube client for the test's own reads and writes, and mistral-operator processes whose logs are
// printed when a test fails.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "api_server.h"
#include "kube/api_client.h"
#include "kube/cluster_config.h"
#include "operator_process.h"
#include "yaml_json.h"

namespace operator_test {

namespace fs = std::filesystem;
namespace types = kube::resource_types;
using nlohmann::json;
using namespace std::chrono_literals;

inline const kube::ResourceType kCrd{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                                     "CustomResourceDefinition", false};
inline constexpr const char* kNs = "default";

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class OperatorScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mf-operator-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fakeapi::ApiServerOptions options;
    options.dir = dir_;
    server_ = std::make_unique<fakeapi::ApiServer>(options);
    server_->start();
    client_ = std::make_unique<kube::ApiClient>(kube::load_kubeconfig(server_->kubeconfig_path()),
                                                "scenario-test");
    const json crd = fakeapi::yaml_to_json(read_text(
        fs::path(MF_SOURCE_DIR) / "crds/inferenceservices.serving.mistral-fleet.dev.yaml"));
    client_->apply(kCrd, crd, "scenario-test", true);
  }

  void TearDown() override {
    operators_.clear();
    if (HasFailure()) {
      for (const auto& entry : fs::directory_iterator(dir_)) {
        if (entry.path().extension() == ".log") {
          std::printf("---- %s\n%s\n", entry.path().c_str(), read_text(entry.path()).c_str());
        }
      }
    }
    client_.reset();
    server_->stop();
    server_.reset();
    fs::remove_all(dir_);
  }

  OperatorProcess& start_operator(std::vector<std::string> extra = {}) {
    const fs::path log = dir_ / ("operator-" + std::to_string(operators_.size()) + ".log");
    operators_.push_back(
        std::make_unique<OperatorProcess>(server_->kubeconfig_path(), log, std::move(extra)));
    return *operators_.back();
  }

  json sample(const std::string& file, const std::string& name) {
    json isvc =
        fakeapi::yaml_to_json(read_text(fs::path(MF_SOURCE_DIR) / "manifests/samples" / file));
    isvc["metadata"]["name"] = name;
    isvc["metadata"]["namespace"] = kNs;
    return isvc;
  }

  json create_isvc(const json& isvc) { return client_->create(types::kInferenceService, isvc); }

  std::optional<json> try_get(const kube::ResourceType& type, const std::string& name) {
    try {
      return client_->get(type, kNs, name);
    } catch (const kube::ApiError& e) {
      if (e.not_found()) return std::nullopt;
      throw;
    }
  }

  // The engine container's args of the Deployment NAME, or empty.
  std::vector<std::string> engine_args(const std::string& name) {
    const auto deployment = try_get(types::kDeployment, name);
    if (!deployment) return {};
    for (const auto& c : (*deployment)["spec"]["template"]["spec"]["containers"]) {
      if (c.value("name", "") == "engine") return c.value("args", std::vector<std::string>{});
    }
    return {};
  }

  static bool has_arg_pair(const std::vector<std::string>& args, const std::string& flag,
                           const std::string& value) {
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == flag && args[i + 1] == value) return true;
    }
    return false;
  }

  json condition(const std::string& name, const std::string& type) {
    const auto isvc = try_get(types::kInferenceService, name);
    if (!isvc) return nullptr;
    for (const auto& c : isvc->value("status", json::object()).value("conditions", json::array())) {
      if (c.value("type", "") == type) return c;
    }
    return nullptr;
  }

  fs::path dir_;
  std::unique_ptr<fakeapi::ApiServer> server_;
  std::unique_ptr<kube::ApiClient> client_;
  std::vector<std::unique_ptr<OperatorProcess>> operators_;
};

}  // namespace operator_test
