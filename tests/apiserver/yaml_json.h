// YAML text to JSON values, resolving plain scalars the way kubectl and kube-apiserver do
// (sigs.k8s.io/yaml, which decodes with a YAML 1.1 go-yaml):
//   - quoted, literal (|) and folded (>) scalars are strings: '1', "true", "null";
//   - plain null, Null, NULL, ~ and empty values are null;
//   - plain true/false and the YAML 1.1 words yes/no/on/off/y/n (each in lower, Title and
//     UPPER case) are booleans, so `on: x` needs quotes to stay a string, as with kubectl;
//   - plain integers (1, -7, 1_000, 0x1F, 0o17, 0b101, 017 octal) stay integers (int64, or
//     uint64 past int64) and decimal forms with a fraction or exponent (1.5, 1e3, .5) are floats;
//   - .inf and .nan are rejected: JSON cannot carry them;
//   - tags !!str, !!int, !!float, !!bool and !!null force a type; other tags are ignored.
// Mapping keys are their scalar text; a null, non-scalar or repeated key is an error.
// Differences from kubectl: merge keys (<<) are plain keys; a boolean-looking key keeps its text
// (`yes:` stays "yes" where kubectl writes "true"). Timestamps stay strings, as they do there.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace fakeapi {

struct YamlError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One document; an empty document is null. Throws YamlError.
nlohmann::json yaml_to_json(std::string_view text);

// Every document of a `---` separated stream, leaving out empty (null) documents.
std::vector<nlohmann::json> yaml_documents_to_json(std::string_view text);

}  // namespace fakeapi
