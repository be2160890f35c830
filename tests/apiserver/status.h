// The metav1.Status body kube-apiserver answers a failed validation with (HTTP 422), as
// apierrors.NewInvalid builds it. Keys come in the real server's order, so dump() reproduces
// the recorded bodies (Go's encoder additionally escapes <, > and & as \u003c, \u003e, \u0026).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "field_error.h"

namespace fakeapi {

// kind "Widget", group "example.com" (empty for the core group), name of the object.
// message: `Widget.example.com "bad" is invalid: <cause>` for one cause and
// `... is invalid: [<cause>, <cause>]` for several, repeated messages listed once.
nlohmann::ordered_json invalid_status(std::string_view kind, std::string_view group,
                                      std::string_view name, const std::vector<Cause>& causes);

}  // namespace fakeapi
