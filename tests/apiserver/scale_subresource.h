// The checks kube-apiserver adds for a custom resource whose CRD has a scale subresource
// (spec.versions[].subresources.scale): the replicas and selector paths must hold an int64 in
// 0..2^31-1 and a string. They run after OpenAPI validation and report their own causes, with
// the JSON path (".spec.replicas") as the field, even when the schema already complained.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "field_error.h"

namespace fakeapi {

// `scale` is the subresource's JSON: {specReplicasPath, statusReplicasPath, labelSelectorPath}.
// On create and update: the value at specReplicasPath.
std::vector<Cause> scale_spec_causes(const nlohmann::json& scale, const nlohmann::json& object);

// On status writes: the values at statusReplicasPath and labelSelectorPath.
std::vector<Cause> scale_status_causes(const nlohmann::json& scale, const nlohmann::json& object);

}  // namespace fakeapi
