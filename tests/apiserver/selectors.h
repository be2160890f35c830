// labelSelector and fieldSelector query parameters: parsed once, matched against objects.
// Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by
// commas. Field selectors: metadata.name and metadata.namespace with =, == or != (plus any other
// dotted path compared as a string, which covers status.phase, spec.nodeName, type, ...).
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fakeapi {

struct SelectorError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

class LabelSelector {
 public:
  LabelSelector() = default;
  // Throws SelectorError with the real server's message form.
  static LabelSelector parse(std::string_view text);
  // From a metav1.LabelSelector object ({matchLabels, matchExpressions}).
  static LabelSelector from_json(const nlohmann::json& selector);
  bool matches(const nlohmann::json& labels) const;  // labels: an object or null
  bool empty() const { return requirements_.empty(); }
  // The canonical string form (as autoscaling/v1 Scale's status.selector shows it).
  std::string to_string() const;

 private:
  struct Requirement {
    std::string key;
    std::string op;  // =, !=, in, notin, exists, !
    std::vector<std::string> values;
  };
  std::vector<Requirement> requirements_;
};

class FieldSelector {
 public:
  FieldSelector() = default;
  static FieldSelector parse(std::string_view text);
  bool matches(const nlohmann::json& object) const;
  bool empty() const { return terms_.empty(); }

 private:
  struct Term {
    std::string path;
    bool equal = true;
    std::string value;
  };
  std::vector<Term> terms_;
};

}  // namespace fakeapi
