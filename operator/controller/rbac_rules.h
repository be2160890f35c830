// The RBAC rules the operator needs, and no more: what its informers list and watch, what it
// server-side applies (patch, and create when the object does not exist yet), what the event
// recorder and leader election write. `mistral-operator --print-rbac-rules` prints them; the Helm
// chart's roles are tested against that output.
#pragma once

#include <nlohmann/json.hpp>

namespace controller {

// rbac.authorization.k8s.io/v1 PolicyRules, one per resource, sorted by group and resource, verbs
// sorted. The Lease rule belongs in a Role of the leader-election namespace.
nlohmann::json required_rbac_rules();

}  // namespace controller
