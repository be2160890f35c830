// Request bodies as the real server decodes them: JSON (or YAML for apply and application/yaml),
// with the 400 BadRequest messages of a body that does not parse or lacks apiVersion/kind.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "resource_registry.h"

namespace fakeapi {

// An object body for `type` (create, update). Throws ApiError 400.
nlohmann::json decode_object(const ResourceType& type, const std::string& body,
                             const std::string& content_type);
// A patch body: JSON for the JSON patch kinds, YAML or JSON for apply. Throws ApiError 400.
nlohmann::json decode_patch(const std::string& body, bool yaml);

}  // namespace fakeapi
