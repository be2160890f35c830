// The autoscaling/v1 Scale a /scale subresource shows for an object, and the object with a
// Scale's spec.replicas written back. Custom resources use their CRD's scale paths; Deployments
// and ReplicaSets use spec.replicas, status.replicas and spec.selector.
#pragma once

#include <nlohmann/json.hpp>

#include "resource_registry.h"

namespace fakeapi {

nlohmann::ordered_json to_scale(const ResourceType& type, const nlohmann::json& obj);
// Returns false when the Scale has no integer spec.replicas.
bool apply_scale(const ResourceType& type, const nlohmann::json& scale, nlohmann::json& obj);

}  // namespace fakeapi
