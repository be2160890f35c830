// How each list of an object merges (strategic merge patch, server-side apply, managed fields):
// atomic (replaced whole), a map keyed by some item fields (containers by name, ports by
// containerPort, ...) or a set of scalars (finalizers). Built-in types use the patch merge keys
// of their Go types; custom resources use x-kubernetes-list-type and x-kubernetes-list-map-keys
// from their schema (atomic when unset).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "resource_registry.h"

namespace fakeapi {

struct ListType {
  enum Kind { kAtomic, kMap, kSet } kind = kAtomic;
  std::vector<std::string> keys;  // kMap: the item fields that identify an item
  // Strategic merge patch's single patchMergeKey (the first of `keys`, except service ports).
  std::string merge_key;
};

// `path` is the field names from the object root down to the list ("spec", "template", "spec",
// "containers"); list items add no element.
ListType list_type(const ResourceType& type, const std::vector<std::string>& path);

// Fields of an object whose value is atomic even when it is an object: a map-typed node that
// server-side apply and the managed fields treat as one value (label selectors of workloads).
bool atomic_object(const ResourceType& type, const std::vector<std::string>& path);

}  // namespace fakeapi
