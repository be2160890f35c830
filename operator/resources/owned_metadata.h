// metadata of an object the InferenceService owns: its name and namespace, the common labels
// and a controller ownerReference, so that deleting the InferenceService garbage-collects it and
// its events requeue the owner.
#pragma once

#include <nlohmann/json.hpp>

namespace resources {

inline constexpr const char* kApiVersion = "serving.mistral-fleet.dev/v1alpha1";
inline constexpr const char* kKind = "InferenceService";

// {apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true}. Throws SpecError
// when metadata.name or metadata.uid is missing (an object not yet read back from the server).
nlohmann::json owner_reference(const nlohmann::json& isvc);

// {name: NAME, namespace (when the InferenceService has one), labels, ownerReferences}.
nlohmann::json owned_metadata(const nlohmann::json& isvc);

}  // namespace resources
