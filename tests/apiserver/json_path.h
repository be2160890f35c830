// The JSONPath subset of CRD printer columns: .a.b, [n], [*] and [?(@.k=="v")] filters.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

namespace fakeapi {

// The values `path` selects in `obj` (empty when none or when the path is malformed).
std::vector<nlohmann::json> json_path_select(const nlohmann::json& obj, std::string_view path);

}  // namespace fakeapi
