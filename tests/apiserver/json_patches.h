// The two schema-free patch kinds: JSON Patch (RFC 6902, application/json-patch+json) and JSON
// Merge Patch (RFC 7386, application/merge-patch+json).
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace fakeapi {

// A patch that cannot be applied; the message is what the 422 (or 400) Status says.
struct PatchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws PatchError for a malformed patch, a missing path or a failed "test".
nlohmann::json apply_json_patch(const nlohmann::json& doc, const nlohmann::json& patch);

// null in the patch deletes, objects merge recursively, everything else replaces.
nlohmann::json apply_merge_patch(const nlohmann::json& doc, const nlohmann::json& patch);

}  // namespace fakeapi
