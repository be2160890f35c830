#include "kube/resource_type.h"

namespace kube {

std::string ResourceType::path(const std::string& ns, const std::string& name,
                               const std::string& subresource) const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) p += "/namespaces/" + ns;
  p += "/" + plural;
  if (!name.empty()) p += "/" + name;
  if (!subresource.empty()) p += "/" + subresource;
  return p;
}

namespace resource_types {

const ResourceType kInferenceService{"serving.mistral-fleet.dev", "v1alpha1", "inferenceservices",
                                     "InferenceService"};
const ResourceType kDeployment{"apps", "v1", "deployments", "Deployment"};
const ResourceType kService{"", "v1", "services", "Service"};
const ResourceType kPodDisruptionBudget{"policy", "v1", "poddisruptionbudgets",
                                        "PodDisruptionBudget"};
const ResourceType kPod{"", "v1", "pods", "Pod"};
const ResourceType kEvent{"", "v1", "events", "Event"};
const ResourceType kLease{"coordination.k8s.io", "v1", "leases", "Lease"};
const ResourceType kEndpointSlice{"discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"};

}  // namespace resource_types

}  // namespace kube
