// Strategic merge patch (application/strategic-merge-patch+json) for built-in types, the subset
// kubectl's client-side apply and edit produce: maps merge recursively and null deletes; lists
// with a patch merge key (list_types.h) merge item by item; directives $patch (replace, delete,
// merge), $retainKeys, $setElementOrder/<list> and $deleteFromPrimitiveList/<list>.
#pragma once

#include <nlohmann/json.hpp>

#include "json_patches.h"
#include "resource_registry.h"

namespace fakeapi {

// Throws PatchError for a malformed patch.
nlohmann::json apply_strategic_merge_patch(const ResourceType& type, const nlohmann::json& doc,
                                           const nlohmann::json& patch);

}  // namespace fakeapi
