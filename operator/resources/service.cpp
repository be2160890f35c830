#include "resources/service.h"

#include "resources/engine_command.h"
#include "resources/json_fields.h"
#include "resources/labels.h"
#include "resources/owned_metadata.h"

namespace resources {

int service_port(const nlohmann::json& isvc) {
  const std::optional<int64_t> port = integer_field(isvc, "spec.service.port");
  if (!port) return kEnginePort;
  if (*port < 1 || *port > 65535) throw SpecError("spec.service.port", "must be 1 to 65535");
  return static_cast<int>(*port);
}

nlohmann::json service(const nlohmann::json& isvc) {
  const std::string name = object_name(isvc);
  const std::string type = string_field(isvc, "spec.service.type").value_or("ClusterIP");
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", owned_metadata(isvc)},
          {"spec",
           {{"type", type},
            {"selector", selector_labels(name)},
            {"ports",
             {{{"name", kHttpPortName},
               {"port", service_port(isvc)},
               {"targetPort", kHttpPortName},
               {"protocol", "TCP"},
               {"appProtocol", "http"}}}}}}};
}

}  // namespace resources
