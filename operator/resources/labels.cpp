#include "resources/labels.h"

namespace resources {

nlohmann::json selector_labels(const std::string& name) {
  return {{"app.kubernetes.io/name", "mistral-engine"},
          {"app.kubernetes.io/instance", name},
          {std::string(kInferenceServiceLabel), name}};
}

nlohmann::json common_labels(const std::string& name) {
  nlohmann::json labels = selector_labels(name);
  labels["app.kubernetes.io/managed-by"] = "mistral-operator";
  labels["app.kubernetes.io/component"] = "inference";
  return labels;
}

std::string selector_string(const std::string& name) {
  std::string out;
  // nlohmann::json objects iterate in key order.
  const nlohmann::json labels = selector_labels(name);
  for (const auto& [key, value] : labels.items()) {
    if (!out.empty()) out += ',';
    out += key + "=" + value.get<std::string>();
  }
  return out;
}

}  // namespace resources
