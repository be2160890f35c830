// metadata.managedFields: which manager owns which fields, kept up to date on every write, and
// server-side apply (merge, conflicts, removal of fields a manager stopped applying) on top.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "field_error.h"
#include "field_set.h"
#include "resource_registry.h"

namespace fakeapi {

// A non-apply write (create, update, patch) by `manager`: the fields it changed become its own
// (and stop being anyone else's); removed fields stop being owned. `before` is null on create.
// Rewrites after["metadata"]["managedFields"].
void record_update(const ResourceType& type, const nlohmann::json& before, nlohmann::json& after,
                   const std::string& manager, const std::string& subresource,
                   const std::string& time);

struct ApplyConflict {
  std::string manager;  // `"name"` or `"name" using apps/v1`, as the message shows it
  FieldPath path;
};

struct ApplyResult {
  nlohmann::json object;                 // the live object with the configuration applied
  std::vector<ApplyConflict> conflicts;  // non-empty: nothing was applied
};

// Server-side apply of `config` by `manager` to `live` (null: the object does not exist yet).
// Without `force`, fields another manager owns with a different value are conflicts.
ApplyResult server_side_apply(const ResourceType& type, const nlohmann::json& live,
                              const nlohmann::json& config, const std::string& manager,
                              const std::string& subresource, bool force, const std::string& time);

// "Apply failed with 1 conflict: conflict with \"mgr\": .spec.replicas" and the causes.
std::string conflict_message(const std::vector<ApplyConflict>& conflicts);
std::vector<Cause> conflict_causes(const std::vector<ApplyConflict>& conflicts);

}  // namespace fakeapi
