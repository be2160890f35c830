// Semantic checks of an InferenceService that its OpenAPI schema cannot express. The CRD's CEL
// rules state some of them too, but CEL may not run (older clusters, the fake API server), and
// the rest need parsing (URIs, quantities, argument lists) or knowledge of what the operator
// generates (object names, engine flags).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace resources {

struct SpecProblem {
  std::string field;    // "spec.model.uri", "metadata.name", ...
  std::string message;  // what is wrong and what would be right
};

// Empty when the operator can build every object from `isvc`; deployment(), service() and
// pod_disruption_budget() do not throw for a resource without problems (given an engine image).
std::vector<SpecProblem> validate_spec(const nlohmann::json& isvc);

// "field: message; field: message" for a condition message.
std::string describe_problems(const std::vector<SpecProblem>& problems);

}  // namespace resources
