// The RBAC rules the operator asks for: well-formed PolicyRules, least privilege (no delete, no
// wildcard), and enough for what each part of the operator does.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "controller/rbac_rules.h"

namespace {

using nlohmann::json;

std::set<std::string> verbs_for(const std::string& group, const std::string& resource) {
  for (const json& rule : controller::required_rbac_rules()) {
    if (rule["apiGroups"][0] == group && rule["resources"][0] == resource) {
      return rule["verbs"].get<std::set<std::string>>();
    }
  }
  return {};
}

TEST(OperatorRbacRules, OneSortedRulePerResourceWithKnownVerbs) {
  const json rules = controller::required_rbac_rules();
  const std::set<std::string> known = {"create", "get", "list", "patch", "update", "watch"};
  std::set<std::pair<std::string, std::string>> seen;
  std::pair<std::string, std::string> previous;
  for (const json& rule : rules) {
    ASSERT_EQ(rule["apiGroups"].size(), 1u);
    ASSERT_EQ(rule["resources"].size(), 1u);
    const std::pair key(rule["apiGroups"][0].get<std::string>(),
                        rule["resources"][0].get<std::string>());
    EXPECT_TRUE(seen.insert(key).second) << rule;
    EXPECT_LT(previous, key);
    previous = key;
    std::vector<std::string> verbs = rule["verbs"];
    EXPECT_TRUE(std::is_sorted(verbs.begin(), verbs.end())) << rule;
    for (const std::string& verb : verbs) EXPECT_TRUE(known.count(verb)) << rule;
  }
}

TEST(OperatorRbacRules, CoverInformersAppliesStatusEventsAndLeases) {
  for (const auto& [group, resource] : std::vector<std::pair<std::string, std::string>>{
           {"serving.mistral-fleet.dev", "inferenceservices"},
           {"apps", "deployments"},
           {"", "services"},
           {"policy", "poddisruptionbudgets"},
           {"", "pods"},
           {"discovery.k8s.io", "endpointslices"}}) {
    const auto verbs = verbs_for(group, resource);
    EXPECT_TRUE(verbs.count("list") && verbs.count("watch")) << resource;
  }
  for (const std::string owned : {"deployments", "services", "poddisruptionbudgets"}) {
    const std::string group = owned == "deployments" ? "apps" : owned == "services" ? "" : "policy";
    // Server-side apply patches, and creates when the object is missing.
    EXPECT_EQ(verbs_for(group, owned), (std::set<std::string>{"create", "list", "patch", "watch"}));
  }
  EXPECT_EQ(verbs_for("serving.mistral-fleet.dev", "inferenceservices/status"),
            std::set<std::string>{"patch"});
  EXPECT_EQ(verbs_for("serving.mistral-fleet.dev", "inferenceservices"),
            (std::set<std::string>{"list", "watch"}));
  EXPECT_EQ(verbs_for("", "events"), (std::set<std::string>{"create", "patch"}));
  EXPECT_EQ(verbs_for("coordination.k8s.io", "leases"),
            (std::set<std::string>{"create", "get", "update"}));
  EXPECT_TRUE(verbs_for("", "secrets").empty());
}

}  // namespace
