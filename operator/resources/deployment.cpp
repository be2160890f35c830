#include "resources/deployment.h"

#include <stdexcept>

#include "resources/engine_command.h"
#include "resources/json_fields.h"
#include "resources/labels.h"
#include "resources/model_size.h"
#include "resources/owned_metadata.h"
#include "resources/probes.h"

namespace resources {
namespace {

constexpr int kUid = 65532;  // "nonroot" in distroless images

using nlohmann::json;

std::string accelerator(const json& isvc) {
  return string_field(isvc, "spec.engine.accelerator").value_or("cpu");
}

std::string gpu_resource(const json& isvc) {
  return string_field(isvc, "spec.engine.gpuResourceName").value_or("nvidia.com/gpu");
}

std::string engine_image(const json& isvc, const EngineDefaults& defaults) {
  if (auto image = string_field(isvc, "spec.engine.image"); image && !image->empty()) return *image;
  const bool vulkan = accelerator(isvc) == "vulkan";
  const std::string& image = vulkan ? defaults.vulkan_image : defaults.cpu_image;
  if (image.empty()) {
    throw SpecError("spec.engine.image", std::string("is unset and the operator has no default ") +
                                             (vulkan ? "Vulkan" : "CPU") + " engine image");
  }
  return image;
}

// spec.engine.resources, plus one GPU for vulkan. A GPU count the user wrote is kept;
// extended resources need limits, and requests default to them.
json engine_resources(const json& isvc) {
  json res = json::object();
  if (const json* given = object_field(isvc, "spec.engine.resources")) {
    for (const char* key : {"requests", "limits"}) {
      if (const json* list = object_field(*given, key)) res[key] = *list;
    }
  }
  if (accelerator(isvc) == "vulkan") {
    const std::string gpu = gpu_resource(isvc);
    if (!res.contains("limits") || !res["limits"].contains(gpu)) {
      res["limits"][gpu] = res.contains("requests") && res["requests"].contains(gpu)
                               ? res["requests"][gpu]
                               : json(1);
    }
  }
  return res;
}

// The download needs no GPU; its CPU and memory match the engine's so that the pod's effective
// request (the larger of the two) stays the engine's.
json download_resources(const json& isvc) {
  json res = engine_resources(isvc);
  if (accelerator(isvc) == "vulkan") {
    const std::string gpu = gpu_resource(isvc);
    for (const char* key : {"requests", "limits"}) {
      if (res.contains(key)) {
        res[key].erase(gpu);
        if (res[key].empty()) res.erase(key);
      }
    }
  }
  return res;
}

json container_security_context() {
  return {{"runAsNonRoot", true},
          {"runAsUser", kUid},
          {"runAsGroup", kUid},
          {"allowPrivilegeEscalation", false},
          {"readOnlyRootFilesystem", true},
          {"capabilities", {{"drop", {"ALL"}}}},
          {"seccompProfile", {{"type", "RuntimeDefault"}}}};
}

// The volume at /models: the download cache, or the pvc:// claim; none for file://.
std::optional<json> model_volume(const json& isvc, const ModelSource& source) {
  if (source.kind == ModelSourceKind::kPvc) {
    return json{{"name", "models"},
                {"persistentVolumeClaim", {{"claimName", source.claim}, {"readOnly", true}}}};
  }
  if (!source.downloads()) return std::nullopt;
  if (const json* pvc = object_field(isvc, "spec.model.cache.pvc")) {
    const std::optional<std::string> claim = string_field(*pvc, "claimName");
    if (!claim || claim->empty()) throw SpecError("spec.model.cache.pvc.claimName", "is required");
    return json{{"name", "models"}, {"persistentVolumeClaim", {{"claimName", *claim}}}};
  }
  json empty_dir = json::object();
  if (const json* limit = find_field(isvc, "spec.model.cache.emptyDir.sizeLimit")) {
    empty_dir["sizeLimit"] = *limit;
  }
  return json{{"name", "models"}, {"emptyDir", empty_dir}};
}

json model_mount(const json& isvc, const ModelSource& source, bool read_only) {
  json mount = {{"name", "models"}, {"mountPath", std::string(kModelDir)}};
  if (read_only) mount["readOnly"] = true;
  // The cache's subPath; a pvc:// claim is mounted at its root.
  if (auto sub = string_field(isvc, "spec.model.cache.pvc.subPath");
      source.downloads() && sub && !sub->empty()) {
    mount["subPath"] = *sub;
  }
  return mount;
}

json download_container(const json& isvc, const ModelSource& source, const std::string& image,
                        const EngineDefaults& defaults) {
  json c = {{"name", std::string(kDownloadContainer)},
            {"image", image},
            {"command", {"mistral-engine"}},
            {"args", pull_args(isvc, source)},
            {"volumeMounts",
             {model_mount(isvc, source, false), {{"name", "tmp"}, {"mountPath", "/tmp"}}}},
            {"securityContext", container_security_context()},
            {"terminationMessagePolicy", "FallbackToLogsOnError"}};
  if (!defaults.image_pull_policy.empty()) c["imagePullPolicy"] = defaults.image_pull_policy;
  if (json res = download_resources(isvc); !res.empty()) c["resources"] = res;
  if (const json* ref = object_field(isvc, "spec.model.tokenSecretRef")) {
    const std::optional<std::string> name = string_field(*ref, "name");
    if (!name || name->empty()) throw SpecError("spec.model.tokenSecretRef.name", "is required");
    const std::string key = string_field(*ref, "key").value_or("token");
    const char* env = source.kind == ModelSourceKind::kHuggingFace ? "HF_TOKEN" : "MF_PULL_TOKEN";
    c["env"] = json::array(
        {{{"name", env},
          {"valueFrom",
           {{"secretKeyRef", {{"name", *name}, {"key", key.empty() ? "token" : key}}}}}}});
  }
  return c;
}

json pre_stop(const EngineDefaults& defaults) {
  if (defaults.lifecycle_sleep_action) {
    return {{"sleep", {{"seconds", defaults.pre_stop_sleep_seconds}}}};
  }
  return {{"exec", {{"command", {"sleep", std::to_string(defaults.pre_stop_sleep_seconds)}}}}};
}

json engine_container(const json& isvc, const ModelSource& source, const std::string& image,
                      const EngineDefaults& defaults, int drain_timeout) {
  const ModelSizeEstimate size = estimate_model_size(source.file_name);
  json mounts = json::array();
  if (source.kind != ModelSourceKind::kFile) mounts.push_back(model_mount(isvc, source, true));
  mounts.push_back({{"name", "tmp"}, {"mountPath", "/tmp"}});
  json c = {
      {"name", std::string(kEngineContainer)},
      {"image", image},
      {"command", {"mistral-engine"}},
      {"args", serve_args(isvc, source, drain_timeout)},
      {"ports", {{{"name", kHttpPortName}, {"containerPort", kEnginePort}, {"protocol", "TCP"}}}},
      {"startupProbe", startup_probe(startup_budget_seconds(size, defaults))},
      {"readinessProbe", readiness_probe()},
      {"livenessProbe", liveness_probe(drain_timeout)},
      {"lifecycle", {{"preStop", pre_stop(defaults)}}},
      {"volumeMounts", mounts},
      {"securityContext", container_security_context()},
      {"terminationMessagePolicy", "FallbackToLogsOnError"}};
  if (!defaults.image_pull_policy.empty()) c["imagePullPolicy"] = defaults.image_pull_policy;
  if (json res = engine_resources(isvc); !res.empty()) c["resources"] = res;
  // The NVIDIA container toolkit exposes only compute and utility libraries by default; the
  // Vulkan driver (ICD) ships with the graphics capability.
  if (accelerator(isvc) == "vulkan" && gpu_resource(isvc).rfind("nvidia.com/", 0) == 0) {
    c["env"] = json::array(
        {{{"name", "NVIDIA_DRIVER_CAPABILITIES"}, {"value", "compute,utility,graphics"}}});
  }
  return c;
}

json pod_labels(const json& isvc, const std::string& name) {
  json labels = json::object();
  if (const json* extra = object_field(isvc, "spec.podLabels")) labels = *extra;
  labels.update(common_labels(name));  // ours win
  return labels;
}

json pod_annotations(const json& isvc, const ModelSource& source) {
  json annotations = {{"prometheus.io/scrape", "true"},
                      {"prometheus.io/port", std::to_string(kEnginePort)},
                      {"prometheus.io/path", "/metrics"}};
  if (const json* extra = object_field(isvc, "spec.podAnnotations")) annotations.update(*extra);
  annotations[std::string(kModelUriAnnotation)] = source.uri;
  return annotations;
}

}  // namespace

json deployment(const json& isvc, const EngineDefaults& defaults, int replicas) {
  if (replicas < 0) {
    throw std::invalid_argument("deployment: replicas must be 0 or more, got " +
                                std::to_string(replicas));
  }
  const std::string name = object_name(isvc);
  const std::optional<std::string> uri = string_field(isvc, "spec.model.uri");
  if (!uri) throw SpecError("spec.model.uri", "is required");
  const ModelSource source = parse_model_uri(*uri);
  const std::string image = engine_image(isvc, defaults);
  const int drain_timeout = effective_drain_timeout(isvc, defaults.drain_timeout_seconds);

  json volumes = json::array();
  if (std::optional<json> v = model_volume(isvc, source)) volumes.push_back(*v);
  volumes.push_back({{"name", "tmp"}, {"emptyDir", json::object()}});

  json pod_spec = {
      {"containers", {engine_container(isvc, source, image, defaults, drain_timeout)}},
      {"volumes", volumes},
      {"terminationGracePeriodSeconds",
       defaults.pre_stop_sleep_seconds + drain_timeout + defaults.termination_margin_seconds},
      // The engine never calls the Kubernetes API, and service links would only add variables.
      {"automountServiceAccountToken", false},
      {"enableServiceLinks", false},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", kUid},
        {"runAsGroup", kUid},
        // Volumes (the download cache) become writable by the pod's group.
        {"fsGroup", kUid},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}}};
  if (source.downloads()) {
    pod_spec["initContainers"] = json::array({download_container(isvc, source, image, defaults)});
  }
  for (const char* field : {"nodeSelector", "affinity"}) {
    if (const json* v = object_field(isvc, std::string("spec.") + field)) pod_spec[field] = *v;
  }
  for (const char* field : {"tolerations", "imagePullSecrets"}) {
    if (const json* v = array_field(isvc, std::string("spec.") + field)) pod_spec[field] = *v;
  }
  for (const char* field : {"priorityClassName", "serviceAccountName"}) {
    if (auto v = string_field(isvc, std::string("spec.") + field); v && !v->empty()) {
      pod_spec[field] = *v;
    }
  }

  const ModelSizeEstimate size = estimate_model_size(source.file_name);
  return {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", owned_metadata(isvc)},
      {"spec",
       {{"replicas", replicas},
        {"selector", {{"matchLabels", selector_labels(name)}}},
        {"strategy",
         {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 0}}}}},
        {"revisionHistoryLimit", defaults.revision_history_limit},
        {"progressDeadlineSeconds", progress_deadline_seconds(size, source.downloads(), defaults)},
        {"template",
         {{"metadata",
           {{"labels", pod_labels(isvc, name)}, {"annotations", pod_annotations(isvc, source)}}},
          {"spec", pod_spec}}}}}};
}

}  // namespace resources
