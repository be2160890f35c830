// Labels of everything the operator creates for an InferenceService NAME.
//   common:   app.kubernetes.io/{name: mistral-engine, instance: NAME,
//             managed-by: mistral-operator, component: inference},
//             serving.mistral-fleet.dev/inferenceservice: NAME
//   selector: name, instance and serving.mistral-fleet.dev/inferenceservice only. A Deployment's
//             selector is immutable, so it holds nothing that could ever change for NAME.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace resources {

inline constexpr std::string_view kInferenceServiceLabel =
    "serving.mistral-fleet.dev/inferenceservice";

nlohmann::json common_labels(const std::string& name);
nlohmann::json selector_labels(const std::string& name);

// The selector as a label-selector string ("k1=v1,k2=v2", keys sorted): status.selector, which
// the scale subresource hands to an HPA, and the labelSelector query of a pod list.
std::string selector_string(const std::string& name);

}  // namespace resources
