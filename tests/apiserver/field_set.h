// A set of field paths, the unit of ownership in metadata.managedFields. Paths are sequences of
// FieldsV1 path elements: "f:spec" (a field), "k:{\"name\":\"web\"}" (an item of a keyed
// list), "v:\"x\"" (a value of a set). FieldsV1 marks a path that is itself a member with "."
// when it also has members below, and with {} when it is a leaf.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "resource_registry.h"

namespace fakeapi {

using FieldPath = std::vector<std::string>;
using FieldSet = std::set<FieldPath>;

FieldSet from_fields_v1(const nlohmann::json& fields);
nlohmann::json to_fields_v1(const FieldSet& set);

FieldSet set_union(const FieldSet& a, const FieldSet& b);
FieldSet set_difference(const FieldSet& a, const FieldSet& b);
// Whether any member of `set` lies below `p` (so `p` is not a leaf).
bool has_descendant(const FieldSet& set, const FieldPath& p);

// The fields an applied configuration sets (server-side apply): leaves, empty objects, items of
// keyed lists and values of sets; objects with content are not members themselves.
FieldSet applied_fields(const ResourceType& type, const nlohmann::json& config);

// The fields a non-apply write changed from `before` to `after`: `changed` holds new or modified
// leaves, new objects and new list items; `removed` holds what disappeared.
struct FieldDiff {
  FieldSet changed;
  FieldSet removed;
};
FieldDiff diff_fields(const ResourceType& type, const nlohmann::json& before,
                      const nlohmann::json& after);

// The value at a path, or null when absent.
const nlohmann::json* value_at(const ResourceType& type, const nlohmann::json& obj,
                               const FieldPath& p);
// Removes the field, list item or set value at `p` (nothing when absent).
void remove_at(const ResourceType& type, nlohmann::json& obj, const FieldPath& p);
// ".spec.replicas", ".spec.containers[name=\"web\"].image": how conflicts name a field.
std::string display_path(const FieldPath& p);

}  // namespace fakeapi
