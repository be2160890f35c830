// The discovery documents kubectl and client-go read: /version, /api, /apis, /apis/GROUP and
// the APIResourceList of each group version (the non-aggregated forms; clients asking for
// aggregated discovery fall back to them when the response is plain application/json), and the
// OpenAPI v2/v3 documents kubectl uses for `explain` and to learn that the server validates
// fields itself (fieldValidation).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "resource_registry.h"

namespace fakeapi {

nlohmann::ordered_json version_info();
nlohmann::ordered_json api_versions(const std::string& server_address);
nlohmann::ordered_json api_group_list(const ResourceRegistry& registry);
std::optional<nlohmann::ordered_json> api_group(const ResourceRegistry& registry,
                                                const std::string& group);
std::optional<nlohmann::ordered_json> api_resource_list(const ResourceRegistry& registry,
                                                        const std::string& group,
                                                        const std::string& version);

// /openapi/v3: {"paths": {"apis/apps/v1": {"serverRelativeURL": ...}}}.
nlohmann::json openapi_v3_root(const ResourceRegistry& registry);
// /openapi/v3/api/v1 or /openapi/v3/apis/GROUP/VERSION.
std::optional<nlohmann::json> openapi_v3_group_version(const ResourceRegistry& registry,
                                                       const std::string& group,
                                                       const std::string& version);
// /openapi/v2: one Swagger document with every type.
nlohmann::json openapi_v2(const ResourceRegistry& registry);

}  // namespace fakeapi
