#include "autoscaling/replica_targets.h"

#include <map>

#include "resources/engine_command.h"
#include "resources/json_fields.h"
#include "resources/pod_state.h"

namespace autoscaling {

namespace {

using json = nlohmann::json;

using resources::member;
const auto text = resources::member_text;

// The slice's port for the engine's named port, 0 when it has none.
int http_port(const json& slice) {
  const json& ports = member(slice, "ports");
  if (!ports.is_array()) return 0;
  for (const json& port : ports) {
    const json& number = member(port, "port");
    if (text(port, "name") == resources::kHttpPortName && number.is_number_integer()) {
      const int value = number.get<int>();
      return value > 0 && value <= 65535 ? value : 0;
    }
  }
  return 0;
}

// Pod name -> metrics URL of its ready endpoints. A missing ready condition means ready, as the
// EndpointSlice API defines it.
std::map<std::string, std::string> ready_endpoints(const std::vector<json>& slices) {
  std::map<std::string, std::string> urls;
  for (const json& slice : slices) {
    const std::string type = text(slice, "addressType");
    if (type != "IPv4" && type != "IPv6") continue;
    const int port = http_port(slice);
    const json& endpoints = member(slice, "endpoints");
    if (port == 0 || !endpoints.is_array()) continue;
    for (const json& endpoint : endpoints) {
      const json& ready = member(member(endpoint, "conditions"), "ready");
      if (ready.is_boolean() && !ready.get<bool>()) continue;
      const json& ref = member(endpoint, "targetRef");
      const json& addresses = member(endpoint, "addresses");
      if (text(ref, "kind") != "Pod" || !addresses.is_array() || addresses.empty() ||
          !addresses[0].is_string()) {
        continue;
      }
      const std::string address = addresses[0].get<std::string>();
      const std::string host = type == "IPv6" ? "[" + address + "]" : address;
      urls[text(ref, "name")] = "http://" + host + ":" + std::to_string(port) + "/metrics";
    }
  }
  return urls;
}

}  // namespace

std::vector<ReplicaTarget> replica_targets(const std::vector<json>& pods,
                                           const std::vector<json>& slices,
                                           const std::string& model_uri) {
  const std::map<std::string, std::string> urls = ready_endpoints(slices);
  std::vector<ReplicaTarget> targets;
  for (const json& pod : pods) {
    const std::optional<ReplicaPhase> phase =
        replica_phase(resources::classify_pod(pod, model_uri));
    if (!phase) continue;
    ReplicaTarget target;
    target.pod = text(member(pod, "metadata"), "name");
    target.phase = *phase;
    if (*phase == ReplicaPhase::kReady) {
      if (const auto it = urls.find(target.pod); it != urls.end()) target.metrics_url = it->second;
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

}  // namespace autoscaling
