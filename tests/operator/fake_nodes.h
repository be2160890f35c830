// The cluster around the operator in end-to-end tests and benchmarks, where no kubelet, ReplicaSet
// or EndpointSlice controller runs: pods that follow a Deployment's replica count, Ready at once
// and served by real engines on 127.0.0.1.
#pragma once

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kube/api_client.h"
#include "kube/cluster_config.h"

namespace operator_test {

using nlohmann::json;
using namespace std::chrono_literals;

// The kubelet, ReplicaSet and EndpointSlice controllers for one Deployment: pod NAME-i exists
// and is Ready for every i below spec.replicas, served by engine i in a slice of its own (a named
// target port may resolve to a different port on each pod, which gives one slice per port).
class FakeNodes {
 public:
  FakeNodes(const std::filesystem::path& kubeconfig, std::string ns, std::string name,
            std::vector<int> engine_ports)
      : client_(kube::load_kubeconfig(kubeconfig), "fake-nodes"),
        ns_(std::move(ns)),
        name_(std::move(name)),
        ports_(std::move(engine_ports)),
        thread_([this] { run(); }) {}
  ~FakeNodes() {
    stop_ = true;
    thread_.join();
  }

  // The engine ports of the pods that exist now: where a Service would send requests.
  std::vector<int> serving_ports() const {
    std::lock_guard lock(mutex_);
    std::vector<int> ports;
    for (size_t i = 0; i < ports_.size(); ++i) {
      if (present_.count(name_ + "-" + std::to_string(i))) ports.push_back(ports_[i]);
    }
    return ports;
  }

 private:
  void run() {
    while (!stop_) {
      try {
        sync();
      } catch (const std::exception&) {
        // The operator may be mid-update; the next pass sees the settled state.
      }
      std::this_thread::sleep_for(100ms);
    }
  }

  void sync() {
    const json deployment = client_.get(kube::resource_types::kDeployment, ns_, name_);
    const int replicas = deployment["spec"].value("replicas", 1);
    const json& template_meta = deployment["spec"]["template"]["metadata"];
    for (int i = 0; i < static_cast<int>(ports_.size()); ++i) {
      const std::string pod = name_ + "-" + std::to_string(i);
      if (i < replicas) {
        if (!present_.count(pod)) add(pod, template_meta, ports_[i]);
      } else if (present_.count(pod)) {
        client_.remove(kube::resource_types::kEndpointSlice, ns_, pod);
        client_.remove(kube::resource_types::kPod, ns_, pod);
        std::lock_guard lock(mutex_);
        present_.erase(pod);
      }
    }
  }

  void add(const std::string& pod, const json& template_meta, int port) {
    json object = {{"apiVersion", "v1"},
                   {"kind", "Pod"},
                   {"metadata",
                    {{"name", pod},
                     {"namespace", ns_},
                     {"labels", template_meta.value("labels", json::object())},
                     {"annotations", template_meta.value("annotations", json::object())}}},
                   {"spec", {{"containers", {{{"name", "engine"}, {"image", "engine:test"}}}}}}};
    client_.create(kube::resource_types::kPod, object);
    const std::string now = "2026-01-01T00:00:00Z";
    json status = {{"apiVersion", "v1"},
                   {"kind", "Pod"},
                   {"metadata", {{"name", pod}, {"namespace", ns_}}},
                   {"status",
                    {{"phase", "Running"},
                     {"podIP", "127.0.0.1"},
                     {"conditions",
                      {{{"type", "PodScheduled"}, {"status", "True"}, {"lastTransitionTime", now}},
                       {{"type", "Ready"}, {"status", "True"}, {"lastTransitionTime", now}}}},
                     {"containerStatuses",
                      {{{"name", "engine"},
                        {"image", "engine:test"},
                        {"imageID", ""},
                        {"ready", true},
                        {"restartCount", 0},
                        {"state", {{"running", {{"startedAt", now}}}}}}}}}}};
    client_.apply(kube::resource_types::kPod, status, "kubelet", true, "status");
    json slice = {{"apiVersion", "discovery.k8s.io/v1"},
                  {"kind", "EndpointSlice"},
                  {"metadata",
                   {{"name", pod},
                    {"namespace", ns_},
                    {"labels",
                     {{"kubernetes.io/service-name", name_},
                      {"app.kubernetes.io/managed-by", "mistral-operator"}}}}},
                  {"addressType", "IPv4"},
                  {"endpoints",
                   {{{"addresses", json::array({"127.0.0.1"})},
                     {"conditions", {{"ready", true}}},
                     {"targetRef", {{"kind", "Pod"}, {"name", pod}, {"namespace", ns_}}}}}},
                  {"ports", {{{"name", "http"}, {"port", port}, {"protocol", "TCP"}}}}};
    client_.create(kube::resource_types::kEndpointSlice, slice);
    std::lock_guard lock(mutex_);
    present_.insert(pod);
  }

  kube::ApiClient client_;
  const std::string ns_;
  const std::string name_;
  const std::vector<int> ports_;
  mutable std::mutex mutex_;  // present_
  std::set<std::string> present_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace operator_test
