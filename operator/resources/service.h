// The Service in front of an InferenceService's replicas: NAME.NAMESPACE.svc, spec.service.type
// (default ClusterIP), port spec.service.port (default 8000) to the pods' "http" port.
#pragma once

#include <nlohmann/json.hpp>

namespace resources {

nlohmann::json service(const nlohmann::json& isvc);

// spec.service.port or 8000.
int service_port(const nlohmann::json& isvc);

}  // namespace resources
