// deployment(), service() and pod_disruption_budget(): the objects the operator applies, for
// each sample and the edge cases.
#include <gtest/gtest.h>

#include <algorithm>

#include "resources/deployment.h"
#include "resources/labels.h"
#include "resources/model_size.h"
#include "resources/pod_disruption_budget.h"
#include "resources/probes.h"
#include "resources/service.h"
#include "test_resources_support.h"

namespace {

using namespace resources;
using resources_test::inference_service;
using resources_test::json;
using resources_test::sample;

EngineDefaults defaults() {
  EngineDefaults d;
  d.cpu_image = "ghcr.io/mistral-fleet/engine:1.0";
  d.vulkan_image = "ghcr.io/mistral-fleet/engine:1.0-vulkan";
  d.image_pull_policy = "IfNotPresent";
  return d;
}

const json& container(const json& deploy, const std::string& list, std::string_view name) {
  for (const json& c : deploy["spec"]["template"]["spec"][list]) {
    if (c["name"] == name) return c;
  }
  static const json none;
  ADD_FAILURE() << "no " << list << " named " << name;
  return none;
}

const json& engine(const json& d) { return container(d, "containers", kEngineContainer); }
const json& download(const json& d) { return container(d, "initContainers", kDownloadContainer); }
const json& pod_spec(const json& d) { return d["spec"]["template"]["spec"]; }

std::vector<std::string> args(const json& c) { return c["args"].get<std::vector<std::string>>(); }

// The value after `flag` in `argv`, "" if absent; fails if the flag appears twice.
std::string flag(const std::vector<std::string>& argv, const std::string& name) {
  EXPECT_LE(std::count(argv.begin(), argv.end(), name), 1) << name << " repeated";
  const auto it = std::find(argv.begin(), argv.end(), name);
  return it == argv.end() || it + 1 == argv.end() ? "" : *(it + 1);
}

const json* volume(const json& d, const std::string& name) {
  for (const json& v : pod_spec(d)["volumes"]) {
    if (v["name"] == name) return &v;
  }
  return nullptr;
}

const json* mount(const json& c, const std::string& name) {
  for (const json& m : c["volumeMounts"]) {
    if (m["name"] == name) return &m;
  }
  return nullptr;
}

void expect_owned(const json& obj, const json& isvc) {
  const json& meta = obj["metadata"];
  EXPECT_EQ(meta["name"], isvc["metadata"]["name"]);
  EXPECT_EQ(meta["namespace"], isvc["metadata"]["namespace"]);
  EXPECT_EQ(meta["labels"], common_labels(isvc["metadata"]["name"]));
  ASSERT_EQ(meta["ownerReferences"].size(), 1u);
  const json& ref = meta["ownerReferences"][0];
  EXPECT_EQ(ref["apiVersion"], "serving.mistral-fleet.dev/v1alpha1");
  EXPECT_EQ(ref["kind"], "InferenceService");
  EXPECT_EQ(ref["name"], isvc["metadata"]["name"]);
  EXPECT_EQ(ref["uid"], isvc["metadata"]["uid"]);
  EXPECT_EQ(ref["controller"], true);
  EXPECT_EQ(ref["blockOwnerDeletion"], true);
  // An apply configuration: nothing the server owns.
  EXPECT_FALSE(obj.contains("status"));
  EXPECT_FALSE(meta.contains("resourceVersion"));
  EXPECT_FALSE(meta.contains("managedFields"));
}

TEST(ResourcesDeployment, CpuSample) {
  const json isvc = sample("mistral-7b-cpu.yaml");
  const json d = deployment(isvc, defaults(), 2);
  EXPECT_EQ(d["apiVersion"], "apps/v1");
  EXPECT_EQ(d["kind"], "Deployment");
  expect_owned(d, isvc);
  EXPECT_EQ(d["spec"]["replicas"], 2);
  EXPECT_EQ(d["spec"]["selector"]["matchLabels"], selector_labels("mistral-7b-cpu"));
  EXPECT_EQ(d["spec"]["strategy"]["rollingUpdate"], json({{"maxSurge", 1}, {"maxUnavailable", 0}}));
  EXPECT_EQ(d["spec"]["revisionHistoryLimit"], 3);
  // The template carries the selector (and the rest of the common labels).
  const json selector = selector_labels("mistral-7b-cpu");
  for (const auto& [k, v] : selector.items()) {
    EXPECT_EQ(d["spec"]["template"]["metadata"]["labels"][k], v) << k;
  }
  const json& annotations = d["spec"]["template"]["metadata"]["annotations"];
  EXPECT_EQ(annotations["prometheus.io/scrape"], "true");
  EXPECT_EQ(annotations["prometheus.io/port"], "8000");
  EXPECT_EQ(annotations["prometheus.io/path"], "/metrics");
  EXPECT_EQ(annotations[std::string(kModelUriAnnotation)], isvc["spec"]["model"]["uri"]);

  const json& e = engine(d);
  EXPECT_EQ(e["image"], "ghcr.io/mistral-fleet/engine:1.0");
  EXPECT_EQ(e["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(e["command"], json({"mistral-engine"}));
  const auto argv = args(e);
  EXPECT_EQ(argv[0], "serve");
  EXPECT_EQ(flag(argv, "--model"), "/models/mistral-7b-instruct-v0.2.Q4_K_M.gguf");
  EXPECT_EQ(flag(argv, "--host"), "0.0.0.0");
  EXPECT_EQ(flag(argv, "--port"), "8000");
  EXPECT_EQ(flag(argv, "--device"), "");  // the engine's default, the CPU
  EXPECT_EQ(flag(argv, "--served-model-name"), "mistral-7b-instruct");
  EXPECT_EQ(flag(argv, "--threads"), "8");
  EXPECT_EQ(flag(argv, "--max-num-seqs"), "16");
  EXPECT_EQ(flag(argv, "--max-model-len"), "8192");          // spec.engine.contextLength
  EXPECT_EQ(flag(argv, "--kv-cache-memory"), "2147483648");  // 2Gi in the engine's terms
  EXPECT_EQ(flag(argv, "--drain-timeout"), "30");
  EXPECT_EQ(flag(argv, "--max-batch-tokens"), "");
  EXPECT_EQ(e["ports"], json::parse(R"([{"name":"http","containerPort":8000,"protocol":"TCP"}])"));
  EXPECT_EQ(e["resources"], isvc["spec"]["engine"]["resources"]);
  EXPECT_FALSE(e.contains("env"));

  // The download into the per-pod emptyDir, read-only for the engine.
  const json& init = download(d);
  EXPECT_EQ(init["image"], e["image"]);
  EXPECT_EQ(args(init),
            std::vector<std::string>({"pull", isvc["spec"]["model"]["uri"], "--dest", "/models"}));
  EXPECT_FALSE(init.contains("env"));  // a public repository
  EXPECT_EQ((*volume(d, "models"))["emptyDir"], json({{"sizeLimit", "10Gi"}}));
  EXPECT_EQ((*mount(init, "models"))["mountPath"], "/models");
  EXPECT_FALSE(mount(init, "models")->contains("readOnly"));
  EXPECT_EQ((*mount(e, "models"))["readOnly"], true);
  EXPECT_EQ((*mount(e, "tmp"))["mountPath"], "/tmp");
  EXPECT_TRUE((*volume(d, "tmp"))["emptyDir"].is_object());
}

TEST(ResourcesDeployment, SecurityContext) {
  const json d = deployment(sample("mistral-7b-cpu.yaml"), defaults(), 1);
  const json& pod = pod_spec(d)["securityContext"];
  EXPECT_EQ(pod["runAsNonRoot"], true);
  EXPECT_EQ(pod["runAsUser"], 65532);
  EXPECT_EQ(pod["fsGroup"], 65532);
  EXPECT_EQ(pod["seccompProfile"]["type"], "RuntimeDefault");
  for (const json* c : {&engine(d), &download(d)}) {
    const json& sc = (*c)["securityContext"];
    EXPECT_EQ(sc["runAsNonRoot"], true);
    EXPECT_EQ(sc["runAsUser"], 65532);
    EXPECT_EQ(sc["readOnlyRootFilesystem"], true);
    EXPECT_EQ(sc["allowPrivilegeEscalation"], false);
    EXPECT_EQ(sc["capabilities"]["drop"], json({"ALL"}));
    EXPECT_EQ(sc["seccompProfile"]["type"], "RuntimeDefault");
    EXPECT_EQ((*c)["terminationMessagePolicy"], "FallbackToLogsOnError");
  }
  EXPECT_EQ(pod_spec(d)["automountServiceAccountToken"], false);
}

TEST(ResourcesDeployment, ProbesAndTermination) {
  EngineDefaults dd = defaults();
  const json isvc = sample("mistral-7b-cpu.yaml");
  const json e = engine(deployment(isvc, dd, 1));
  for (const char* probe : {"startupProbe", "readinessProbe", "livenessProbe"}) {
    EXPECT_EQ(e[probe]["httpGet"]["path"], "/health") << probe;
    EXPECT_EQ(e[probe]["httpGet"]["port"], "http") << probe;
  }
  // The startup budget follows the estimated file size (4.4 GB here).
  const int budget = e["startupProbe"]["periodSeconds"].get<int>() *
                     e["startupProbe"]["failureThreshold"].get<int>();
  const double gb = estimate_model_size("mistral-7b-instruct-v0.2.Q4_K_M.gguf").bytes / 1e9;
  EXPECT_GE(budget, dd.load_base_seconds + dd.load_seconds_per_gb * gb);
  EXPECT_LT(budget, dd.load_base_seconds + dd.load_seconds_per_gb * gb + kStartupPeriodSeconds);
  // A bigger file gets more time; an unknown one the conservative default.
  json big = isvc;
  big["spec"]["model"]["uri"] = "hf://o/r/mixtral-8x22b.Q8_0.gguf";
  EXPECT_GT(engine(deployment(big, dd, 1))["startupProbe"]["failureThreshold"].get<int>(),
            e["startupProbe"]["failureThreshold"].get<int>() * 10);
  json unknown = isvc;
  unknown["spec"]["model"]["uri"] = "hf://o/r/model.gguf";
  EXPECT_EQ(
      engine(deployment(unknown, dd, 1))["startupProbe"]["failureThreshold"],
      startup_probe(startup_budget_seconds({kUnknownModelBytes, false}, dd))["failureThreshold"]);
  // Liveness outlasts a drain: a draining engine answers 503 by design.
  const int liveness_window = e["livenessProbe"]["periodSeconds"].get<int>() *
                              e["livenessProbe"]["failureThreshold"].get<int>();
  EXPECT_GT(liveness_window, dd.drain_timeout_seconds);

  // preStop sleep, then the drain, within the grace period.
  const json d = deployment(isvc, dd, 1);
  EXPECT_EQ(engine(d)["lifecycle"]["preStop"]["exec"]["command"], json({"sleep", "5"}));
  EXPECT_EQ(pod_spec(d)["terminationGracePeriodSeconds"], 5 + 30 + 10);
  dd.lifecycle_sleep_action = true;
  EXPECT_EQ(engine(deployment(isvc, dd, 1))["lifecycle"]["preStop"],
            json({{"sleep", {{"seconds", 5}}}}));
  // A longer drain in extraArgs replaces the operator's and stretches the grace period.
  json longer = isvc;
  longer["spec"]["engine"]["extraArgs"] = {"--drain-timeout", "120"};
  const json ld = deployment(longer, dd, 1);
  EXPECT_EQ(flag(args(engine(ld)), "--drain-timeout"), "120");
  EXPECT_EQ(pod_spec(ld)["terminationGracePeriodSeconds"], 5 + 120 + 10);
  EXPECT_GT(engine(ld)["livenessProbe"]["failureThreshold"].get<int>() *
                engine(ld)["livenessProbe"]["periodSeconds"].get<int>(),
            120);
  // Room for download and load before the Deployment reports ProgressDeadlineExceeded.
  EXPECT_GE(d["spec"]["progressDeadlineSeconds"].get<int>(), 600);
  EXPECT_GT(deployment(big, dd, 1)["spec"]["progressDeadlineSeconds"].get<int>(), 3600);
}

TEST(ResourcesDeployment, LifecycleSleepNeedsKubernetes130) {
  EXPECT_TRUE(lifecycle_sleep_supported({{"major", "1"}, {"minor", "30"}}));
  EXPECT_TRUE(lifecycle_sleep_supported({{"major", "1"}, {"minor", "31+"}}));
  EXPECT_FALSE(lifecycle_sleep_supported({{"major", "1"}, {"minor", "29"}}));
  EXPECT_FALSE(lifecycle_sleep_supported({{"major", "1"}}));
  EXPECT_FALSE(lifecycle_sleep_supported("1.30"));
}

TEST(ResourcesDeployment, VulkanSampleSharedPvcCache) {
  const json isvc = sample("mistral-7b-vulkan.yaml");
  const json d = deployment(isvc, defaults(), 1);
  const json& e = engine(d);
  EXPECT_EQ(e["image"], "ghcr.io/mistral-fleet/engine:1.0-vulkan");
  EXPECT_EQ(e["resources"]["limits"]["nvidia.com/gpu"], 1);
  EXPECT_EQ(e["resources"]["limits"]["memory"], "8Gi");
  EXPECT_EQ(e["resources"]["requests"], isvc["spec"]["engine"]["resources"]["requests"]);
  EXPECT_EQ(e["env"], json::parse(R"([{"name":"NVIDIA_DRIVER_CAPABILITIES",
                                       "value":"compute,utility,graphics"}])"));
  EXPECT_EQ(flag(args(e), "--device"), "vulkan");
  // No engine.threads: the CPUs requested.
  EXPECT_EQ(flag(args(e), "--threads"), "2");
  EXPECT_EQ(flag(args(e), "--max-num-seqs"), "64");
  EXPECT_EQ(flag(args(e), "--kv-cache-memory"), "4294967296");
  // The download needs no GPU.
  EXPECT_FALSE(download(d)["resources"]["limits"].contains("nvidia.com/gpu"));
  EXPECT_EQ(download(d)["resources"]["requests"], isvc["spec"]["engine"]["resources"]["requests"]);
  EXPECT_EQ((*volume(d, "models"))["persistentVolumeClaim"], json({{"claimName", "model-cache"}}));
  EXPECT_EQ((*mount(e, "models"))["subPath"], "gguf");
  EXPECT_EQ((*mount(download(d), "models"))["subPath"], "gguf");
  EXPECT_EQ(pod_spec(d)["nodeSelector"], isvc["spec"]["nodeSelector"]);
  EXPECT_EQ(pod_spec(d)["tolerations"], isvc["spec"]["tolerations"]);
}

TEST(ResourcesDeployment, VulkanWithAmdGpu) {
  const json isvc =
      inference_service("amd", {{"model", {{"uri", "pvc://models/mistral-7b.Q4_K_M.gguf"}}},
                                {"engine",
                                 {{"accelerator", "vulkan"},
                                  {"gpuResourceName", "amd.com/gpu"},
                                  {"image", "registry.local/engine:vk"}}}});
  const json e = engine(deployment(isvc, defaults(), 1));
  EXPECT_EQ(e["image"], "registry.local/engine:vk");
  EXPECT_EQ(e["resources"], json({{"limits", {{"amd.com/gpu", 1}}}}));
  EXPECT_FALSE(e.contains("env"));            // the NVIDIA toolkit setting only for nvidia.com
  EXPECT_EQ(flag(args(e), "--threads"), "");  // no CPU figures: the engine counts them itself
  EXPECT_EQ(flag(args(e), "--device"), "vulkan");
}

TEST(ResourcesDeployment, AutoscaledAndKedaSamples) {
  const json auto_isvc = sample("mistral-7b-autoscaled.yaml");
  const json a = deployment(auto_isvc, defaults(), 3);
  EXPECT_EQ(a["spec"]["replicas"], 3);
  EXPECT_EQ(flag(args(engine(a)), "--threads"), "8");
  EXPECT_EQ(flag(args(engine(a)), "--served-model-name"), "mistral-7b-instruct");
  EXPECT_EQ((*volume(a, "models"))["emptyDir"], json::object());  // the CRD's default cache

  const json keda = sample("mistral-7b-keda.yaml");
  const json k = deployment(keda, defaults(), 1);
  EXPECT_EQ(flag(args(engine(k)), "--served-model-name"), "mistral-7b-keda");
  const json& annotations = k["spec"]["template"]["metadata"]["annotations"];
  for (const auto& [key, value] : keda["spec"]["podAnnotations"].items()) {
    EXPECT_EQ(annotations[key], value) << key;
  }
}

TEST(ResourcesDeployment, PvcSourceIsMountedReadOnlyWithoutDownload) {
  const json isvc = inference_service(
      "pvc", {{"model", {{"uri", "pvc://model-store/mistral/7b/model.Q4_K_M.gguf"}}}});
  const json d = deployment(isvc, defaults(), 1);
  EXPECT_FALSE(pod_spec(d).contains("initContainers"));
  EXPECT_EQ((*volume(d, "models"))["persistentVolumeClaim"],
            json({{"claimName", "model-store"}, {"readOnly", true}}));
  EXPECT_EQ((*mount(engine(d), "models"))["readOnly"], true);
  EXPECT_FALSE(mount(engine(d), "models")->contains("subPath"));
  EXPECT_EQ(flag(args(engine(d)), "--model"), "/models/mistral/7b/model.Q4_K_M.gguf");
  EXPECT_EQ(flag(args(engine(d)), "--served-model-name"), "model.Q4_K_M");
}

TEST(ResourcesDeployment, FileSourceMountsNothing) {
  const json isvc =
      inference_service("file", {{"model", {{"uri", "file:///opt/models/tiny.gguf"}}}});
  const json d = deployment(isvc, defaults(), 1);
  EXPECT_FALSE(pod_spec(d).contains("initContainers"));
  EXPECT_EQ(volume(d, "models"), nullptr);
  EXPECT_EQ(mount(engine(d), "models"), nullptr);
  EXPECT_NE(mount(engine(d), "tmp"), nullptr);
  EXPECT_EQ(flag(args(engine(d)), "--model"), "/opt/models/tiny.gguf");
  EXPECT_EQ(flag(args(engine(d)), "--served-model-name"), "tiny");
}

TEST(ResourcesDeployment, TokenSecretAndChecksum) {
  const std::string sha(64, 'c');
  json hf = inference_service("gated", {{"model",
                                         {{"uri", "hf://mistralai/private/model-7b.Q4_K_M.gguf"},
                                          {"sha256", sha},
                                          {"tokenSecretRef", {{"name", "hf-token"}}}}}});
  const json init = download(deployment(hf, defaults(), 1));
  EXPECT_EQ(flag(args(init), "--sha256"), sha);
  EXPECT_EQ(init["env"], json::parse(R"([{"name":"HF_TOKEN","valueFrom":{"secretKeyRef":
                                         {"name":"hf-token","key":"token"}}}])"));
  json https = inference_service("private",
                                 {{"model",
                                   {{"uri", "https://models.example.com/m.gguf"},
                                    {"tokenSecretRef", {{"name", "bearer"}, {"key", "access"}}}}}});
  const json init2 = download(deployment(https, defaults(), 1));
  EXPECT_EQ(init2["env"][0]["name"], "MF_PULL_TOKEN");
  EXPECT_EQ(init2["env"][0]["valueFrom"]["secretKeyRef"],
            json({{"name", "bearer"}, {"key", "access"}}));
  EXPECT_EQ(flag(args(init2), "--sha256"), "");
  // The token never reaches the engine container.
  EXPECT_FALSE(engine(deployment(https, defaults(), 1)).contains("env"));
}

TEST(ResourcesDeployment, ExtraArgsAndPodOptions) {
  const json isvc = inference_service(
      "opts", {{"model", {{"uri", "hf://o/r/mistral-7b.Q4_K_M.gguf"}}},
               {"engine",
                {{"maxBatchTokens", 1024},
                 {"extraArgs", {"--log-level", "debug", "--max-waiting=32"}},
                 {"resources", {{"limits", {{"cpu", "3500m"}}}}}}},
               {"podLabels", {{"team", "ml"}, {"app.kubernetes.io/name", "override-attempt"}}},
               {"podAnnotations", {{"prometheus.io/scrape", "false"}, {"note", "x"}}},
               {"affinity", {{"nodeAffinity", json::object()}}},
               {"priorityClassName", "inference"},
               {"serviceAccountName", "engine-sa"},
               {"imagePullSecrets", {{{"name", "regcred"}}}}});
  const json d = deployment(isvc, defaults(), 1);
  const auto argv = args(engine(d));
  // extraArgs come last, in order.
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(std::vector<std::string>(argv.end() - 3, argv.end()),
            std::vector<std::string>({"--log-level", "debug", "--max-waiting=32"}));
  EXPECT_EQ(flag(argv, "--max-batch-tokens"), "1024");
  EXPECT_EQ(flag(argv, "--threads"), "4");  // 3.5 CPUs, rounded up
  const json& labels = d["spec"]["template"]["metadata"]["labels"];
  EXPECT_EQ(labels["team"], "ml");
  EXPECT_EQ(labels["app.kubernetes.io/name"], "mistral-engine");  // the operator's label wins
  const json& annotations = d["spec"]["template"]["metadata"]["annotations"];
  EXPECT_EQ(annotations["prometheus.io/scrape"], "false");  // the user's choice
  EXPECT_EQ(annotations["note"], "x");
  EXPECT_EQ(pod_spec(d)["affinity"], isvc["spec"]["affinity"]);
  EXPECT_EQ(pod_spec(d)["priorityClassName"], "inference");
  EXPECT_EQ(pod_spec(d)["serviceAccountName"], "engine-sa");
  EXPECT_EQ(pod_spec(d)["imagePullSecrets"], json::parse(R"([{"name":"regcred"}])"));
  EXPECT_FALSE(pod_spec(d).contains("nodeSelector"));
  EXPECT_FALSE(pod_spec(d).contains("tolerations"));
}

TEST(ResourcesDeployment, ClearErrorsInsteadOfBrokenObjects) {
  EngineDefaults none;
  try {
    deployment(sample("mistral-7b-cpu.yaml"), none, 1);
    ADD_FAILURE() << "no image, but a Deployment";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find("no default CPU engine image"), std::string::npos);
  }
  json no_uid = sample("mistral-7b-cpu.yaml");
  no_uid["metadata"].erase("uid");
  EXPECT_THROW(deployment(no_uid, defaults(), 1), SpecError);
  EXPECT_THROW(deployment(sample("mistral-7b-cpu.yaml"), defaults(), -1), std::invalid_argument);
  json bad_uri = sample("mistral-7b-cpu.yaml");
  bad_uri["spec"]["model"]["uri"] = "ftp://x/y.gguf";
  EXPECT_THROW(deployment(bad_uri, defaults(), 1), ModelUriError);
}

TEST(ResourcesService, FromSpecService) {
  const json isvc = sample("mistral-7b-cpu.yaml");
  const json s = service(isvc);
  EXPECT_EQ(s["apiVersion"], "v1");
  EXPECT_EQ(s["kind"], "Service");
  expect_owned(s, isvc);
  EXPECT_EQ(s["spec"]["type"], "ClusterIP");
  EXPECT_EQ(s["spec"]["selector"], selector_labels("mistral-7b-cpu"));
  EXPECT_EQ(s["spec"]["ports"], json::parse(R"([{"name":"http","port":8000,"targetPort":"http",
                                                "protocol":"TCP","appProtocol":"http"}])"));
  const json lb =
      service(inference_service("lb", {{"model", {{"uri", "hf://o/r/m.gguf"}}},
                                       {"service", {{"type", "LoadBalancer"}, {"port", 443}}}}));
  EXPECT_EQ(lb["spec"]["type"], "LoadBalancer");
  EXPECT_EQ(lb["spec"]["ports"][0]["port"], 443);
  EXPECT_EQ(lb["spec"]["ports"][0]["targetPort"], "http");
}

TEST(ResourcesPodDisruptionBudget, OneAtATime) {
  const json isvc = sample("mistral-7b-autoscaled.yaml");
  const json p = pod_disruption_budget(isvc);
  EXPECT_EQ(p["apiVersion"], "policy/v1");
  EXPECT_EQ(p["kind"], "PodDisruptionBudget");
  expect_owned(p, isvc);
  EXPECT_EQ(p["spec"]["maxUnavailable"], 1);
  EXPECT_FALSE(p["spec"].contains("minAvailable"));
  EXPECT_EQ(p["spec"]["unhealthyPodEvictionPolicy"], "AlwaysAllow");
  EXPECT_EQ(p["spec"]["selector"]["matchLabels"], selector_labels("mistral-7b-autoscaled"));
}

TEST(ResourcesLabels, SelectorIsStableAndAString) {
  EXPECT_EQ(selector_string("m7"),
            "app.kubernetes.io/instance=m7,app.kubernetes.io/name=mistral-engine,"
            "serving.mistral-fleet.dev/inferenceservice=m7");
  const json common = common_labels("m7");
  EXPECT_EQ(common["app.kubernetes.io/managed-by"], "mistral-operator");
  EXPECT_EQ(common["app.kubernetes.io/component"], "inference");
  const json selector = selector_labels("m7");
  for (const auto& [k, v] : selector.items()) EXPECT_EQ(common[k], v);
}

}  // namespace
