#include "resources/owned_metadata.h"

#include "resources/json_fields.h"
#include "resources/labels.h"

namespace resources {

nlohmann::json owner_reference(const nlohmann::json& isvc) {
  const std::string name = object_name(isvc);
  const std::optional<std::string> uid = string_field(isvc, "metadata.uid");
  if (!uid || uid->empty()) {
    throw SpecError("metadata.uid", "is required to own objects (read the object from the server)");
  }
  return {{"apiVersion", kApiVersion},
          {"kind", kKind},
          {"name", name},
          {"uid", *uid},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

nlohmann::json owned_metadata(const nlohmann::json& isvc) {
  const std::string name = object_name(isvc);
  nlohmann::json meta = {{"name", name},
                         {"labels", common_labels(name)},
                         {"ownerReferences", nlohmann::json::array({owner_reference(isvc)})}};
  if (const auto ns = string_field(isvc, "metadata.namespace"); ns && !ns->empty()) {
    meta["namespace"] = *ns;
  }
  return meta;
}

}  // namespace resources
