// metadata.name of a custom resource as kube-apiserver checks it before the schema: present
// (unless generateName is set) and a lowercase RFC 1123 subdomain.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "field_error.h"

namespace fakeapi {

// `metadata` is the object's metadata (may be null or absent fields).
std::vector<Cause> object_name_causes(const nlohmann::json& metadata);

}  // namespace fakeapi
