#include "resources/pod_disruption_budget.h"

#include "resources/json_fields.h"
#include "resources/labels.h"
#include "resources/owned_metadata.h"

namespace resources {

nlohmann::json pod_disruption_budget(const nlohmann::json& isvc) {
  const std::string name = object_name(isvc);
  return {{"apiVersion", "policy/v1"},
          {"kind", "PodDisruptionBudget"},
          {"metadata", owned_metadata(isvc)},
          {"spec",
           {{"maxUnavailable", 1},
            {"selector", {{"matchLabels", selector_labels(name)}}},
            {"unhealthyPodEvictionPolicy", "AlwaysAllow"}}}};
}

}  // namespace resources
