// The InferenceService CRD (crds/) and the sample resources (manifests/samples/): names,
// subresources and printer columns; a structural schema; samples that the API server admits and
// defaults as intended; invalid resources rejected with the causes kube-apiserver gives. The
// validator itself is checked against the 422 responses recorded from a real kube-apiserver.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "field_error.h"
#include "object_meta.h"
#include "openapi_schema.h"
#include "scale_subresource.h"
#include "status.h"
#include "yaml_json.h"

namespace {

using fakeapi::Cause;
using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kSourceDir = MF_SOURCE_DIR;
const fs::path kCrdPath = kSourceDir / "crds" / "inferenceservices.serving.mistral-fleet.dev.yaml";
const fs::path kSamplesDir = kSourceDir / "manifests" / "samples";
const fs::path kApiSamplesDir = fs::path(MF_SHARED_DIR) / "k8s-api-samples";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const json& crd() {
  static const json doc = fakeapi::yaml_to_json(read_file(kCrdPath));
  return doc;
}

const json& version() { return crd()["spec"]["versions"][0]; }
const json& schema() { return version()["schema"]["openAPIV3Schema"]; }

// What the API server does to a created resource before storing it: prune, default, then
// validate (metadata.name, the schema, the scale subresource). Returns the 422 causes.
std::vector<Cause> admit(const json& openapi, const json& scale, json& obj) {
  fakeapi::prune(openapi, obj);
  fakeapi::apply_defaults(openapi, obj);
  std::vector<Cause> causes = fakeapi::object_name_causes(obj.value("metadata", json()));
  for (Cause& c : fakeapi::validate(openapi, obj)) causes.push_back(std::move(c));
  for (Cause& c : fakeapi::scale_spec_causes(scale, obj)) causes.push_back(std::move(c));
  return causes;
}

std::vector<Cause> admit(json& obj) {
  return admit(schema(), version()["subresources"]["scale"], obj);
}

json minimal() {
  return {{"apiVersion", "serving.mistral-fleet.dev/v1alpha1"},
          {"kind", "InferenceService"},
          {"metadata", {{"name", "m"}, {"namespace", "default"}}},
          {"spec",
           {{"model",
             {{"uri",
               "hf://TheBloke/Mistral-7B-Instruct-v0.2-GGUF/"
               "mistral-7b-instruct-v0.2.Q4_K_M.gguf"}}}}}};
}

// The schema node at a dotted path of property names ("spec.engine.accelerator").
const json* schema_at(const std::string& dotted) {
  const json* node = &schema();
  std::stringstream ss(dotted);
  std::string part;
  while (std::getline(ss, part, '.')) {
    if (!node->contains("properties") || !(*node)["properties"].contains(part)) return nullptr;
    node = &(*node)["properties"][part];
  }
  return node;
}

std::vector<json> sample_documents() {
  std::vector<json> docs;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(kSamplesDir)) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    for (json& d : fakeapi::yaml_documents_to_json(read_file(f))) {
      d["__file"] = f.filename().string();  // for messages; pruned away before validation
      docs.push_back(std::move(d));
    }
  }
  return docs;
}

std::vector<json> inference_services() {
  std::vector<json> out;
  for (json& d : sample_documents()) {
    if (d.value("kind", "") == "InferenceService") out.push_back(std::move(d));
  }
  return out;
}

TEST(Crd, NamesGroupVersionAndScope) {
  const json& c = crd();
  EXPECT_EQ(c["apiVersion"], "apiextensions.k8s.io/v1");
  EXPECT_EQ(c["kind"], "CustomResourceDefinition");
  EXPECT_EQ(c["metadata"]["name"], "inferenceservices.serving.mistral-fleet.dev");
  EXPECT_EQ(c["spec"]["group"], "serving.mistral-fleet.dev");
  EXPECT_EQ(c["spec"]["scope"], "Namespaced");
  const json& names = c["spec"]["names"];
  EXPECT_EQ(names["kind"], "InferenceService");
  EXPECT_EQ(names["listKind"], "InferenceServiceList");
  EXPECT_EQ(names["plural"], "inferenceservices");
  EXPECT_EQ(names["singular"], "inferenceservice");
  EXPECT_EQ(names["shortNames"], json::array({"misvc"}));
  EXPECT_EQ(names["categories"], json::array({"mistral-fleet"}));
  ASSERT_EQ(c["spec"]["versions"].size(), 1u);
  EXPECT_EQ(version()["name"], "v1alpha1");
  EXPECT_EQ(version()["served"], true);
  EXPECT_EQ(version()["storage"], true);
}

TEST(Crd, StatusAndScaleSubresources) {
  const json& sub = version()["subresources"];
  EXPECT_EQ(sub["status"], json::object());
  EXPECT_EQ(sub["scale"]["specReplicasPath"], ".spec.replicas");
  EXPECT_EQ(sub["scale"]["statusReplicasPath"], ".status.replicas");
  EXPECT_EQ(sub["scale"]["labelSelectorPath"], ".status.selector");
  // The paths must lead to fields of the right type, or /scale cannot read them.
  ASSERT_NE(schema_at("spec.replicas"), nullptr);
  EXPECT_EQ((*schema_at("spec.replicas"))["type"], "integer");
  ASSERT_NE(schema_at("status.replicas"), nullptr);
  EXPECT_EQ((*schema_at("status.replicas"))["type"], "integer");
  ASSERT_NE(schema_at("status.selector"), nullptr);
  EXPECT_EQ((*schema_at("status.selector"))["type"], "string");
}

TEST(Crd, PrinterColumns) {
  struct Expected {
    const char* name;
    const char* type;
    const char* json_path;
    int priority;
  };
  const Expected expected[] = {
      {"Model", "string", ".spec.model.uri", 1},
      {"Accelerator", "string", ".spec.engine.accelerator", 1},
      {"Desired", "integer", ".status.desiredReplicas", 0},
      {"Ready", "integer", ".status.readyReplicas", 0},
      {"Queue", "number", ".status.queueDepth", 0},
      {"Status", "string", ".status.conditions[?(@.type==\"Ready\")].status", 0},
      {"Age", "date", ".metadata.creationTimestamp", 0},
  };
  const json& cols = version()["additionalPrinterColumns"];
  ASSERT_EQ(cols.size(), std::size(expected));
  for (size_t i = 0; i < cols.size(); ++i) {
    SCOPED_TRACE(expected[i].name);
    EXPECT_EQ(cols[i]["name"], expected[i].name);
    EXPECT_EQ(cols[i]["type"], expected[i].type);
    EXPECT_EQ(cols[i]["jsonPath"], expected[i].json_path);
    EXPECT_EQ(cols[i].value("priority", 0), expected[i].priority);
  }
  // Each column reads a field the schema has, with a matching type.
  for (const char* path : {"spec.model.uri", "spec.engine.accelerator", "status.desiredReplicas",
                           "status.readyReplicas", "status.queueDepth"}) {
    EXPECT_NE(schema_at(path), nullptr) << path;
  }
  EXPECT_EQ((*schema_at("status.queueDepth"))["type"], "number");
  const json* conditions = schema_at("status.conditions");
  ASSERT_NE(conditions, nullptr);
  EXPECT_TRUE((*conditions)["items"]["properties"].contains("type"));
  EXPECT_TRUE((*conditions)["items"]["properties"].contains("status"));
}

TEST(Crd, SchemaIsStructural) {
  EXPECT_EQ(fakeapi::structural_errors(schema()), std::vector<Cause>{});
  EXPECT_EQ(fakeapi::unknown_schema_fields(schema()), std::vector<std::string>{});
}

TEST(Crd, CelRulesHaveRuleAndMessage) {
  EXPECT_EQ(fakeapi::validation_rule_errors(schema()), std::vector<Cause>{});
  // The rules the spec relies on are there: token only for downloads, one cache kind,
  // minReplicas <= maxReplicas.
  const json& model_rules = (*schema_at("spec.model"))["x-kubernetes-validations"];
  ASSERT_EQ(model_rules.size(), 1u);
  EXPECT_NE(model_rules[0]["rule"].get<std::string>().find("tokenSecretRef"), std::string::npos);
  const json& cache_rules = (*schema_at("spec.model.cache"))["x-kubernetes-validations"];
  ASSERT_EQ(cache_rules.size(), 1u);
  EXPECT_EQ(cache_rules[0]["rule"], "has(self.pvc) != has(self.emptyDir)");
  const json& scaling_rules = (*schema_at("spec.scaling"))["x-kubernetes-validations"];
  ASSERT_GE(scaling_rules.size(), 1u);
  EXPECT_NE(
      scaling_rules[0]["rule"].get<std::string>().find("self.minReplicas <= self.maxReplicas"),
      std::string::npos);
}

TEST(Crd, EveryFieldIsDescribed) {
  // kubectl explain shows these; a field without one is a field nobody can guess the use of.
  std::vector<std::string> missing;
  auto walk = [&](auto&& self, const json& node, const std::string& path) -> void {
    if (!node.contains("properties")) return;
    for (const auto& [k, child] : node["properties"].items()) {
      const std::string p = path.empty() ? k : path + "." + k;
      if (p != "metadata" && !child.contains("description")) missing.push_back(p);
      self(self, child, p);
      if (child.contains("items")) self(self, child["items"], p + "[]");
    }
  };
  walk(walk, schema(), "");
  EXPECT_EQ(missing, std::vector<std::string>{});
}

TEST(Crd, SamplesAreAdmittedAsWritten) {
  const std::vector<json> services = inference_services();
  ASSERT_GE(services.size(), 4u);  // cpu, vulkan, autoscaled, keda
  for (json obj : services) {
    const std::string file = obj["__file"];
    SCOPED_TRACE(file);
    EXPECT_EQ(obj["apiVersion"], "serving.mistral-fleet.dev/v1alpha1");
    // Nothing but the marker is unknown: a typo in a sample would be silently dropped.
    EXPECT_EQ(fakeapi::prune(schema(), obj), std::vector<std::string>{"__file"});
    EXPECT_EQ(admit(obj), std::vector<Cause>{});
  }
}

TEST(Crd, SamplesCoverTheIssue) {
  std::map<std::string, json> by_name;
  for (json& obj : inference_services()) {
    by_name[obj["metadata"]["name"].get<std::string>()] = obj["spec"];
  }
  const std::string q4km =
      "hf://TheBloke/Mistral-7B-Instruct-v0.2-GGUF/mistral-7b-instruct-v0.2.Q4_K_M.gguf";
  ASSERT_TRUE(by_name.contains("mistral-7b-cpu"));
  EXPECT_EQ(by_name["mistral-7b-cpu"]["model"]["uri"], q4km);
  EXPECT_EQ(by_name["mistral-7b-cpu"]["engine"]["accelerator"], "cpu");
  ASSERT_TRUE(by_name.contains("mistral-7b-vulkan"));
  EXPECT_EQ(by_name["mistral-7b-vulkan"]["engine"]["accelerator"], "vulkan");
  ASSERT_TRUE(by_name.contains("mistral-7b-autoscaled"));
  EXPECT_EQ(by_name["mistral-7b-autoscaled"]["scaling"]["mode"], "queueDepth");
  ASSERT_TRUE(by_name.contains("mistral-7b-keda"));
  EXPECT_EQ(by_name["mistral-7b-keda"]["scaling"]["mode"], "external");
}

TEST(Crd, KedaScaledObjectTargetsTheExternalSample) {
  std::vector<json> scaled;
  std::map<std::string, json> services;
  for (json& d : sample_documents()) {
    if (d.value("kind", "") == "ScaledObject") scaled.push_back(d);
    if (d.value("kind", "") == "InferenceService") {
      services[d["metadata"]["name"].get<std::string>()] = d;
    }
  }
  ASSERT_EQ(scaled.size(), 1u);
  const json& so = scaled[0];
  EXPECT_EQ(so["apiVersion"], "keda.sh/v1alpha1");
  const json& target = so["spec"]["scaleTargetRef"];
  EXPECT_EQ(target["apiVersion"], "serving.mistral-fleet.dev/v1alpha1");
  EXPECT_EQ(target["kind"], "InferenceService");
  const std::string target_name = target["name"];
  ASSERT_TRUE(services.contains(target_name));
  const json& svc = services[target_name];
  EXPECT_EQ(svc["spec"]["scaling"]["mode"], "external");
  ASSERT_EQ(so["spec"]["triggers"].size(), 1u);
  const json& trigger = so["spec"]["triggers"][0];
  EXPECT_EQ(trigger["type"], "prometheus");
  const std::string query = trigger["metadata"]["query"];
  EXPECT_NE(query.find("vllm:num_requests_waiting"), std::string::npos);
  // The query selects this InferenceService's engines by the model name they report.
  EXPECT_NE(
      query.find("model_name=\"" + svc["spec"]["model"]["servedName"].get<std::string>() + "\""),
      std::string::npos);
  // KEDA wants metadata values as strings.
  EXPECT_TRUE(trigger["metadata"]["threshold"].is_string());
}

TEST(Crd, DefaultsFillTheUnsetFields) {
  json obj = minimal();
  ASSERT_EQ(admit(obj), std::vector<Cause>{});
  const json& spec = obj["spec"];
  EXPECT_EQ(spec["replicas"], 1);
  EXPECT_EQ(spec["engine"]["accelerator"], "cpu");
  EXPECT_EQ(spec["engine"]["maxNumSeqs"], 64);
  EXPECT_EQ(spec["engine"]["gpuResourceName"], "nvidia.com/gpu");
  EXPECT_FALSE(spec["engine"].contains("image"));  // the operator's flag decides
  EXPECT_FALSE(spec["engine"].contains("threads"));
  EXPECT_EQ(spec["model"]["cache"], json({{"emptyDir", json::object()}}));
  EXPECT_FALSE(spec["model"].contains("tokenSecretRef"));
  EXPECT_EQ(spec["service"], json({{"type", "ClusterIP"}, {"port", 8000}}));
  EXPECT_EQ(spec["scaling"], json({{"mode", "none"},
                                   {"minReplicas", 1},
                                   {"maxReplicas", 4},
                                   {"targetQueueDepth", 4},
                                   {"scaleUpStabilizationSeconds", 0},
                                   {"scaleDownStabilizationSeconds", 300},
                                   {"pollIntervalSeconds", 5}}));
  EXPECT_FALSE(obj.contains("status"));
}

TEST(Crd, DefaultsKeepWhatIsSet) {
  json obj = minimal();
  obj["spec"]["engine"] = {{"accelerator", "vulkan"}, {"maxNumSeqs", 8}};
  obj["spec"]["model"]["tokenSecretRef"] = {{"name", "hf-token"}};
  obj["spec"]["model"]["cache"] = {{"pvc", {{"claimName", "models"}}}};
  obj["spec"]["replicas"] = 0;
  obj["spec"]["scaling"] = {{"mode", "queueDepth"}, {"maxReplicas", 10}};
  ASSERT_EQ(admit(obj), std::vector<Cause>{});
  const json& spec = obj["spec"];
  EXPECT_EQ(spec["engine"]["accelerator"], "vulkan");
  EXPECT_EQ(spec["engine"]["maxNumSeqs"], 8);
  EXPECT_EQ(spec["replicas"], 0);
  EXPECT_EQ(spec["model"]["tokenSecretRef"], json({{"name", "hf-token"}, {"key", "token"}}));
  EXPECT_EQ(spec["model"]["cache"], json({{"pvc", {{"claimName", "models"}}}}));  // no emptyDir
  EXPECT_EQ(spec["scaling"]["maxReplicas"], 10);
  EXPECT_EQ(spec["scaling"]["minReplicas"], 1);
}

struct InvalidCase {
  const char* name;
  json (*make)();
  std::vector<Cause> causes;
};

json with(const char* pointer, json value) {
  json obj = minimal();
  obj[json::json_pointer(pointer)] = std::move(value);
  return obj;
}

TEST(Crd, InvalidResourcesGetTheApiServersCauses) {
  const std::string pattern_prefix = "spec.model.uri in body should match '^(hf://";
  const InvalidCase cases[] = {
      {"missing model.uri",
       [] {
         json o = minimal();
         o["spec"]["model"].erase("uri");
         return o;
       },
       {{"FieldValueRequired", "Required value", "spec.model.uri"}}},
      {"missing spec",
       [] {
         json o = minimal();
         o.erase("spec");
         return o;
       },
       {{"FieldValueRequired", "Required value", "spec"}}},
      {"accelerator tpu",
       [] { return with("/spec/engine/accelerator", "tpu"); },
       {{"FieldValueNotSupported",
         "Unsupported value: \"tpu\": supported values: \"cpu\", \"vulkan\"",
         "spec.engine.accelerator"}}},
      {"service.port 70000",
       [] { return with("/spec/service/port", 70000); },
       {{"FieldValueInvalid",
         "Invalid value: 70000: spec.service.port in body should be less than or equal to 65535",
         "spec.service.port"}}},
      {"service.type Ingress",
       [] { return with("/spec/service/type", "Ingress"); },
       {{"FieldValueNotSupported",
         "Unsupported value: \"Ingress\": supported values: \"ClusterIP\", \"NodePort\", "
         "\"LoadBalancer\"",
         "spec.service.type"}}},
      {"replicas -1",
       [] { return with("/spec/replicas", -1); },
       {{"FieldValueInvalid",
         "Invalid value: -1: spec.replicas in body should be greater than or equal to 0",
         "spec.replicas"},
        {"FieldValueInvalid", "Invalid value: -1: should be a non-negative integer",
         ".spec.replicas"}}},
      {"replicas as a string",
       [] { return with("/spec/replicas", "two"); },
       {{"FieldValueTypeInvalid",
         "Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\"",
         "spec.replicas"},
        {"FieldValueInvalid",
         "Invalid value: 0: .spec.replicas accessor error: two is of the type string, expected "
         "int64",
         ".spec.replicas"}}},
      {"threads 1.5",
       [] { return with("/spec/engine/threads", 1.5); },
       {{"FieldValueTypeInvalid",
         "Invalid value: \"number\": spec.engine.threads in body must be of type integer: "
         "\"number\"",
         "spec.engine.threads"}}},
      {"model as a string",
       [] { return with("/spec/model", "mistral"); },
       {{"FieldValueTypeInvalid",
         "Invalid value: \"string\": spec.model in body must be of type object: \"string\"",
         "spec.model"}}},
      {"extraArgs as a string",
       [] { return with("/spec/engine/extraArgs", "--foo"); },
       {{"FieldValueTypeInvalid",
         "Invalid value: \"string\": spec.engine.extraArgs in body must be of type array: "
         "\"string\"",
         "spec.engine.extraArgs"}}},
      {"podLabels value not a string",
       [] {
         return with("/spec/podLabels", {{"tier", 1}});
       },
       {{"FieldValueTypeInvalid",
         "Invalid value: \"integer\": spec.podLabels.tier in body must be of type string: "
         "\"integer\"",
         "spec.podLabels.tier"}}},
      {"imagePullSecrets without name",
       [] { return with("/spec/imagePullSecrets", json::array({json::object()})); },
       {{"FieldValueRequired", "Required value", "spec.imagePullSecrets[0].name"}}},
      {"targetKvCacheUsage 1.5",
       [] { return with("/spec/scaling/targetKvCacheUsage", 1.5); },
       {{"FieldValueInvalid",
         "Invalid value: 1.5: spec.scaling.targetKvCacheUsage in body should be less than or "
         "equal to 1",
         "spec.scaling.targetKvCacheUsage"}}},
      {"targetQueueDepth 0",
       [] { return with("/spec/scaling/targetQueueDepth", 0); },
       {{"FieldValueInvalid",
         "Invalid value: 0: spec.scaling.targetQueueDepth in body should be greater than 0",
         "spec.scaling.targetQueueDepth"}}},
      {"sha256 too short",
       [] { return with("/spec/model/sha256", "abc123"); },
       {{"FieldValueInvalid",
         "Invalid value: \"abc123\": spec.model.sha256 in body should match '^[0-9a-fA-F]{64}$'",
         "spec.model.sha256"}}},
      {"kvCacheMemory not a quantity",
       [] { return with("/spec/engine/kvCacheMemory", "2 GiB"); },
       {{"FieldValueInvalid",
         "Invalid value: \"2 GiB\": spec.engine.kvCacheMemory in body should match "
         "'^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]"
         "+("
         "\\.[0-9]*)?)|(\\.[0-9]+))))?$'",
         "spec.engine.kvCacheMemory"}}},
      {"lastTransitionTime not a date-time",
       [] {
         const json condition = {{"type", "Ready"},
                                 {"status", "Maybe"},
                                 {"reason", "Loading"},
                                 {"message", ""},
                                 {"lastTransitionTime", "yesterday"}};
         return with("/status", {{"conditions", json::array({condition})}});
       },
       {{"FieldValueTypeInvalid",
         "Invalid value: \"yesterday\": status.conditions[0].lastTransitionTime in body must be "
         "of type date-time: \"yesterday\"",
         "status.conditions[0].lastTransitionTime"},
        {"FieldValueNotSupported",
         "Unsupported value: \"Maybe\": supported values: \"True\", \"False\", \"Unknown\"",
         "status.conditions[0].status"}}},
      {"several at once, in field order",
       [] {
         json o = with("/spec/service/port", 0);
         o["spec"]["model"].erase("uri");
         o["spec"]["engine"] = {{"maxNumSeqs", 0}};
         return o;
       },
       {{"FieldValueInvalid",
         "Invalid value: 0: spec.engine.maxNumSeqs in body should be greater than or equal to 1",
         "spec.engine.maxNumSeqs"},
        {"FieldValueRequired", "Required value", "spec.model.uri"},
        {"FieldValueInvalid",
         "Invalid value: 0: spec.service.port in body should be greater than or equal to 1",
         "spec.service.port"}}},
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.name);
    json obj = c.make();
    EXPECT_EQ(admit(obj), c.causes);
  }
  // A URI in none of the four schemes: the message quotes the CRD's pattern.
  json obj = with("/spec/model/uri", "s3://bucket/model.gguf");
  const std::vector<Cause> causes = admit(obj);
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(causes[0].reason, "FieldValueInvalid");
  EXPECT_EQ(causes[0].field, "spec.model.uri");
  EXPECT_EQ(
      causes[0].message.rfind("Invalid value: \"s3://bucket/model.gguf\": " + pattern_prefix, 0),
      0u)
      << causes[0].message;
}

TEST(Crd, UriSchemes) {
  for (const char* ok :
       {"hf://TheBloke/Mistral-7B-Instruct-v0.2-GGUF/a.gguf", "https://example.com/models/a.gguf",
        "pvc://model-cache/gguf/a.gguf", "file:///models/a.gguf"}) {
    json obj = with("/spec/model/uri", ok);
    EXPECT_EQ(admit(obj), std::vector<Cause>{}) << ok;
  }
  for (const char* bad : {"hf://TheBloke/a.gguf", "http://example.com/a.gguf",
                          "pvc://Model_Cache/a.gguf", "file://relative/a.gguf", "/models/a.gguf"}) {
    json obj = with("/spec/model/uri", bad);
    const std::vector<Cause> causes = admit(obj);
    ASSERT_EQ(causes.size(), 1u) << bad;
    EXPECT_EQ(causes[0].field, "spec.model.uri") << bad;
  }
}

TEST(Crd, QuantitiesTakeIntegersAndStrings) {
  for (const json& q : {json(2147483648), json("2Gi"), json("1.5G"), json("512Mi")}) {
    json obj = with("/spec/engine/kvCacheMemory", q);
    EXPECT_EQ(admit(obj), std::vector<Cause>{}) << q;
  }
  json obj = with("/spec/engine/resources", {{"limits", {{"memory", true}}}});
  const std::vector<Cause> causes = admit(obj);
  ASSERT_FALSE(causes.empty());
  EXPECT_EQ(causes[0], (Cause{"FieldValueTypeInvalid",
                              "Invalid value: \"boolean\": spec.engine.resources.limits.memory in "
                              "body must be of type integer,string: \"boolean\"",
                              "spec.engine.resources.limits.memory"}));
}

TEST(Crd, UnknownFieldsArePruned) {
  json obj = minimal();
  obj["spec"]["engine"] = {{"gpus", 1}, {"accelerator", "cpu"}};
  obj["spec"]["tolerations"] =
      json::array({{{"key", "gpu"}, {"operator", "Exists"}, {"anything", "kept"}}});
  obj["status"] = {{"phase", "Ready"}, {"ready", true}};
  EXPECT_EQ(fakeapi::prune(schema(), obj),
            (std::vector<std::string>{"spec.engine.gpus", "status.ready"}));
  EXPECT_FALSE(obj["spec"]["engine"].contains("gpus"));
  EXPECT_EQ(obj["spec"]["tolerations"][0]["anything"], "kept");  // preserve-unknown-fields
  EXPECT_EQ(obj["metadata"]["name"], "m");
}

// --- The validator against a real kube-apiserver's answers ---------------------------------

std::string http_body(const std::string& request) {
  const size_t crlf = request.find("\r\n\r\n");
  if (crlf != std::string::npos) return request.substr(crlf + 4);
  const size_t lf = request.find("\n\n");
  if (lf == std::string::npos) throw std::runtime_error("no body in request");
  return request.substr(lf + 2);
}

TEST(RecordedApiServer, Reproduces422Causes) {
  if (!fs::exists(kApiSamplesDir)) {
    GTEST_SKIP() << "no recorded kube-apiserver samples at " << kApiSamplesDir
                 << " (they are not shipped with the repository)";
  }
  const json widget_crd =
      json::parse(http_body(read_file(kApiSamplesDir / "crd-create.request.http")));
  const json& widget_version = widget_crd["spec"]["versions"][0];
  const json& widget_schema = widget_version["schema"]["openAPIV3Schema"];
  const json& widget_scale = widget_version["subresources"]["scale"];
  // The real server accepted this CRD.
  EXPECT_EQ(fakeapi::structural_errors(widget_schema), std::vector<Cause>{});

  for (const char* sample : {"error-422-invalid-schema", "error-422-invalid-type-and-required",
                             "error-422-invalid-name"}) {
    SCOPED_TRACE(sample);
    json obj =
        json::parse(http_body(read_file(kApiSamplesDir / (std::string(sample) + ".request.http"))));
    const std::string body_text = read_file(kApiSamplesDir / (std::string(sample) + ".body.json"));
    const auto recorded = nlohmann::ordered_json::parse(body_text);

    const std::vector<Cause> causes = admit(widget_schema, widget_scale, obj);
    std::vector<Cause> expected;
    for (const auto& c : recorded["details"]["causes"]) {
      expected.push_back({c["reason"].get<std::string>(), c["message"].get<std::string>(),
                          c["field"].get<std::string>()});
    }
    EXPECT_EQ(causes, expected);

    const auto status =
        fakeapi::invalid_status(widget_crd["spec"]["names"]["kind"].get<std::string>(),
                                widget_crd["spec"]["group"].get<std::string>(),
                                obj["metadata"]["name"].get<std::string>(), causes);
    EXPECT_EQ(status, recorded);
    // Byte for byte, as the server pretty-prints for curl.
    EXPECT_EQ(status.dump(2) + "\n", body_text);
  }
}

TEST(RecordedApiServer, AdmitsTheRecordedWidgets) {
  if (!fs::exists(kApiSamplesDir)) {
    GTEST_SKIP() << "no recorded kube-apiserver samples at " << kApiSamplesDir;
  }
  const json widget_crd =
      json::parse(http_body(read_file(kApiSamplesDir / "crd-create.request.http")));
  const json& v = widget_crd["spec"]["versions"][0];
  // Objects the server stored: what it answered with passes validation again.
  for (const char* sample : {"cr-create", "cr-get", "cr-status-patch", "cr-put-update"}) {
    SCOPED_TRACE(sample);
    json obj = json::parse(read_file(kApiSamplesDir / (std::string(sample) + ".body.json")));
    EXPECT_EQ(fakeapi::prune(v["schema"]["openAPIV3Schema"], obj), std::vector<std::string>{});
    EXPECT_EQ(admit(v["schema"]["openAPIV3Schema"], v["subresources"]["scale"], obj),
              std::vector<Cause>{});
    EXPECT_EQ(fakeapi::scale_status_causes(v["subresources"]["scale"], obj), std::vector<Cause>{});
  }
}

}  // namespace
