// validate_spec: the checks the CRD's schema cannot make (or that CEL makes only on some
// clusters).
#include <gtest/gtest.h>

#include "resources/spec_validation.h"
#include "test_resources_support.h"

namespace {

using namespace resources;
using resources_test::inference_service;
using resources_test::json;
using resources_test::sample;

json base_spec() { return {{"model", {{"uri", "hf://org/repo/mistral-7b.Q4_K_M.gguf"}}}}; }

// The problems for `spec` changed by `edit`, as "field: message" strings.
std::vector<SpecProblem> problems(const std::function<void(json&)>& edit,
                                  const std::string& name = "m") {
  json spec = base_spec();
  edit(spec);
  return validate_spec(inference_service(name, spec));
}

::testing::AssertionResult has_problem(const std::vector<SpecProblem>& found,
                                       const std::string& field, const std::string& words) {
  for (const SpecProblem& p : found) {
    if (p.field == field && p.message.find(words) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no problem at " << field << " containing '" << words
                                       << "' in: " << describe_problems(found);
}

TEST(ResourcesValidation, SamplesAreValid) {
  for (const char* file : {"mistral-7b-cpu.yaml", "mistral-7b-vulkan.yaml",
                           "mistral-7b-autoscaled.yaml", "mistral-7b-keda.yaml"}) {
    const auto found = validate_spec(sample(file));
    EXPECT_TRUE(found.empty()) << file << ": " << describe_problems(found);
  }
  EXPECT_TRUE(problems([](json&) {}).empty());
}

TEST(ResourcesValidation, ModelUri) {
  EXPECT_TRUE(
      has_problem(problems([](json& s) { s["model"]["uri"] = "hf://org/repo/a/../b.gguf"; }),
                  "spec.model.uri", "'..'"));
  EXPECT_TRUE(has_problem(problems([](json& s) { s["model"].erase("uri"); }), "spec.model.uri",
                          "is required"));
  EXPECT_TRUE(has_problem(problems([](json& s) { s["model"]["uri"] = 42; }), "spec.model.uri",
                          "must be a string"));
  EXPECT_TRUE(has_problem(problems([](json& s) { s["model"]["uri"] = "https://h/x/.gguf"; }),
                          "spec.model.servedName", "is required"));
  EXPECT_TRUE(has_problem(problems([](json& s) { s["model"]["uri"] = "hf://o/r/m+q4.gguf"; }),
                          "spec.model.servedName", "'m+q4'"));
  EXPECT_TRUE(problems([](json& s) {
                s["model"]["uri"] = "https://h/x/.gguf";
                s["model"]["servedName"] = "x";
              }).empty());
}

TEST(ResourcesValidation, TokenAndChecksumOnlyForDownloads) {
  for (const char* uri : {"pvc://claim/m.gguf", "file:///m.gguf"}) {
    const auto found = problems([uri](json& s) {
      s["model"]["uri"] = uri;
      s["model"]["tokenSecretRef"] = {{"name", "hf-token"}};
      s["model"]["sha256"] = std::string(64, 'a');
    });
    EXPECT_TRUE(has_problem(found, "spec.model.tokenSecretRef", "only used to download")) << uri;
    EXPECT_TRUE(has_problem(found, "spec.model.sha256", "only checked when downloading")) << uri;
  }
  for (const char* uri : {"hf://o/r/m.gguf", "https://h/m.gguf"}) {
    EXPECT_TRUE(problems([uri](json& s) {
                  s["model"]["uri"] = uri;
                  s["model"]["tokenSecretRef"] = {{"name", "hf-token"}};
                  s["model"]["sha256"] = std::string(64, 'a');
                }).empty())
        << uri;
  }
}

TEST(ResourcesValidation, CacheNeedsExactlyOneVolume) {
  EXPECT_TRUE(has_problem(
      problems([](json& s) {
        s["model"]["cache"] = {{"pvc", {{"claimName", "c"}}}, {"emptyDir", json::object()}};
      }),
      "spec.model.cache", "exactly one of pvc or emptyDir"));
  EXPECT_TRUE(has_problem(problems([](json& s) { s["model"]["cache"] = json::object(); }),
                          "spec.model.cache", "exactly one"));
  EXPECT_TRUE(
      has_problem(problems([](json& s) {
                    s["model"]["cache"] = {{"pvc", {{"claimName", "c"}, {"subPath", "../x"}}}};
                  }),
                  "spec.model.cache.pvc.subPath", "relative path without '..'"));
  EXPECT_TRUE(
      has_problem(problems([](json& s) {
                    s["model"]["cache"] = {{"pvc", {{"claimName", "c"}, {"subPath", "/x"}}}};
                  }),
                  "spec.model.cache.pvc.subPath", "relative"));
  EXPECT_TRUE(has_problem(problems([](json& s) {
                            s["model"]["cache"] = {{"emptyDir", {{"sizeLimit", "-1Gi"}}}};
                          }),
                          "spec.model.cache.emptyDir.sizeLimit", "positive"));
  // The cache is unused for pvc:// and file://, whatever it says.
  EXPECT_TRUE(problems([](json& s) {
                s["model"]["uri"] = "pvc://claim/m.gguf";
                s["model"]["cache"] = json::object();
              }).empty());
}

TEST(ResourcesValidation, Scaling) {
  EXPECT_TRUE(
      has_problem(problems([](json& s) {
                    s["scaling"] = {{"mode", "queueDepth"}, {"minReplicas", 5}, {"maxReplicas", 2}};
                  }),
                  "spec.scaling.minReplicas", "less than or equal to maxReplicas (2)"));
  // maxReplicas defaults to 4.
  EXPECT_TRUE(has_problem(problems([](json& s) {
                            s["scaling"] = {{"minReplicas", 6}};
                          }),
                          "spec.scaling.minReplicas", "maxReplicas (4)"));
  EXPECT_TRUE(has_problem(problems([](json& s) {
                            s["scaling"] = {{"mode", "queueDepth"}, {"minReplicas", 0}};
                          }),
                          "spec.scaling.minReplicas", "queueDepth scaling needs minReplicas >= 1"));
  EXPECT_TRUE(problems([](json& s) {
                s["scaling"] = {{"mode", "external"}, {"minReplicas", 0}};
              }).empty());
  EXPECT_TRUE(has_problem(
      problems([](json& s) {
        s["scaling"] = {{"mode", "external"}, {"prometheus", {{"url", "http://p:9090"}}}};
      }),
      "spec.scaling.prometheus", "only used with mode queueDepth"));
  EXPECT_TRUE(problems([](json& s) {
                s["scaling"] = {{"mode", "queueDepth"}, {"prometheus", {{"url", "http://p:9090"}}}};
              }).empty());
}

TEST(ResourcesValidation, ExtraArgsMayNotRepeatOperatorFlags) {
  const auto found = problems([](json& s) {
    s["engine"]["extraArgs"] = {"--log-level", "debug", "--model=/x.gguf", "--port",         "9000",
                                "--host",      "::",    "--threads=4",     "--max-waiting=8"};
  });
  EXPECT_TRUE(has_problem(found, "spec.engine.extraArgs[2]", "may not set --model"));
  EXPECT_TRUE(has_problem(found, "spec.engine.extraArgs[2]", "from spec.model.uri"));
  EXPECT_TRUE(has_problem(found, "spec.engine.extraArgs[3]", "may not set --port"));
  EXPECT_TRUE(has_problem(found, "spec.engine.extraArgs[5]", "may not set --host"));
  EXPECT_TRUE(has_problem(found, "spec.engine.extraArgs[7]", "from spec.engine.threads"));
  EXPECT_EQ(found.size(), 4u) << describe_problems(found);
  // --drain-timeout is the operator's default only: extraArgs may change it.
  EXPECT_TRUE(problems([](json& s) {
                s["engine"]["extraArgs"] = {"--drain-timeout", "120", "--max-waiting=8"};
              }).empty());
}

TEST(ResourcesValidation, EngineQuantities) {
  EXPECT_TRUE(has_problem(problems([](json& s) { s["engine"]["kvCacheMemory"] = "0"; }),
                          "spec.engine.kvCacheMemory", "positive"));
  const auto found = problems([](json& s) {
    s["engine"]["resources"] = {{"requests", {{"cpu", "8"}, {"memory", "12Gi"}}},
                                {"limits", {{"cpu", "4"}, {"memory", "lots"}}}};
  });
  EXPECT_TRUE(has_problem(found, "spec.engine.resources.requests.cpu",
                          "less than or equal to the limit (\"4\")"));
  EXPECT_TRUE(has_problem(found, "spec.engine.resources.limits.memory", "quantity"));
}

TEST(ResourcesValidation, NamesThatMakeInvalidObjects) {
  // The Service is named after the InferenceService: a DNS-1035 label.
  EXPECT_TRUE(
      has_problem(problems([](json&) {}, std::string(64, 'a')), "metadata.name", "DNS-1035 label"));
  EXPECT_TRUE(problems([](json&) {}, std::string(63, 'a')).empty());
  EXPECT_TRUE(has_problem(problems([](json&) {}, "7b-model"), "metadata.name", "DNS-1035"));
  EXPECT_TRUE(has_problem(problems([](json&) {}, "mistral.7b"), "metadata.name", "DNS-1035"));
  const auto labels = problems([](json& s) {
    s["podLabels"] = {{"team", "ml"}, {"bad key!", "x"}, {"tier", "-x"}};
  });
  EXPECT_TRUE(has_problem(labels, "spec.podLabels[bad key!]", "not a valid label key"));
  EXPECT_TRUE(has_problem(labels, "spec.podLabels[tier]", "label value"));
  EXPECT_EQ(labels.size(), 2u) << describe_problems(labels);
}

TEST(ResourcesValidation, WrongTypesAreProblemsNotExceptions) {
  // The fake API server and CEL-less clusters store what the schema admits, but the operator
  // also reads objects written before a schema change.
  json isvc = inference_service("m", base_spec());
  isvc["spec"]["engine"]["threads"] = "eight";
  isvc["spec"]["tolerations"] = "none";
  isvc["spec"]["service"]["port"] = 70000;
  const auto found = validate_spec(isvc);
  EXPECT_TRUE(has_problem(found, "spec.engine.threads", "must be an integer"));
  EXPECT_TRUE(has_problem(found, "spec.tolerations", "must be an array"));
  EXPECT_TRUE(has_problem(found, "spec.service.port", "1 to 65535"));
  EXPECT_TRUE(has_problem(validate_spec({{"metadata", {{"name", "m"}}}}), "spec", "is required"));
  EXPECT_TRUE(has_problem(validate_spec(json::object()), "metadata.name", "is required"));
}

}  // namespace
