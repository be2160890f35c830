#include "controller/rbac_rules.h"

#include <algorithm>
#include <string>
#include <vector>

#include "kube/resource_type.h"

namespace controller {

nlohmann::json required_rbac_rules() {
  namespace types = kube::resource_types;
  const std::vector<std::string> informer = {"list", "watch"};
  const std::vector<std::string> owned = {"create", "list", "patch", "watch"};
  struct Need {
    const kube::ResourceType& type;
    std::string subresource;
    std::vector<std::string> verbs;
  };
  const std::vector<Need> needs = {
      {types::kInferenceService, "", informer},
      {types::kInferenceService, "status", {"patch"}},
      {types::kDeployment, "", owned},
      {types::kService, "", owned},
      {types::kPodDisruptionBudget, "", owned},
      {types::kPod, "", informer},
      {types::kEndpointSlice, "", informer},
      {types::kEvent, "", {"create", "patch"}},
      {types::kLease, "", {"create", "get", "update"}},
  };
  std::vector<nlohmann::json> rules;
  for (const Need& need : needs) {
    std::vector<std::string> verbs = need.verbs;
    std::sort(verbs.begin(), verbs.end());
    const std::string resource =
        need.subresource.empty() ? need.type.plural : need.type.plural + "/" + need.subresource;
    rules.push_back(
        {{"apiGroups", {need.type.group}}, {"resources", {resource}}, {"verbs", verbs}});
  }
  std::sort(rules.begin(), rules.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return std::pair(a["apiGroups"][0].get<std::string>(), a["resources"][0].get<std::string>()) <
           std::pair(b["apiGroups"][0].get<std::string>(), b["resources"][0].get<std::string>());
  });
  return rules;
}

}  // namespace controller
