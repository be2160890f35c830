// The API resources the operator reads and writes, and the REST paths they live at.
#pragma once

#include <string>

namespace kube {

struct ResourceType {
  std::string group;  // "" for the core group
  std::string version;
  std::string plural;
  std::string kind;
  bool namespaced = true;

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // The collection (empty name) or one object, optionally a subresource of it. An empty
  // namespace addresses the collection across all namespaces.
  std::string path(const std::string& ns, const std::string& name = "",
                   const std::string& subresource = "") const;
};

namespace resource_types {

extern const ResourceType kInferenceService;
extern const ResourceType kDeployment;
extern const ResourceType kService;
extern const ResourceType kPodDisruptionBudget;
extern const ResourceType kPod;
extern const ResourceType kEvent;
extern const ResourceType kLease;
extern const ResourceType kEndpointSlice;

}  // namespace resource_types

}  // namespace kube
