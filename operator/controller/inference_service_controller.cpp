#include "controller/inference_service_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "resources/deployment.h"
#include "resources/labels.h"
#include "resources/pod_disruption_budget.h"
#include "resources/quantity.h"
#include "resources/service.h"
#include "resources/spec_validation.h"
#include "resources/status.h"

namespace controller {

namespace {

namespace types = kube::resource_types;

// Pods the operator's Deployments create carry this label (and the InferenceService's name).
constexpr const char* kManagedPodsSelector = "app.kubernetes.io/managed-by=mistral-operator";

std::pair<std::string, std::string> split_key(const std::string& key) {
  const auto slash = key.find('/');
  return {key.substr(0, slash), key.substr(slash + 1)};
}

const json& metadata_of(const json& object) {
  static const json empty = json::object();
  const auto it = object.find("metadata");
  return it != object.end() && it->is_object() ? *it : empty;
}

std::string uid_of(const json& object) { return metadata_of(object).value("uid", ""); }

// The uid of the object's controller owner, "" when none.
std::string controller_uid(const json& object) {
  const auto refs = metadata_of(object).find("ownerReferences");
  if (refs == metadata_of(object).end() || !refs->is_array()) return "";
  for (const auto& ref : *refs) {
    if (ref.value("controller", false)) return ref.value("uid", "");
  }
  return "";
}

bool equal_scalars(const json& actual, const json& desired) {
  if (actual.is_number() && desired.is_number()) {
    return actual.get<double>() == desired.get<double>();
  }
  if (actual.is_string() && desired.is_string() && actual != desired) {
    // The API server canonicalizes quantities ("0.5" is stored as "500m").
    const auto a = resources::parse_quantity(actual.get<std::string>());
    const auto d = resources::parse_quantity(desired.get<std::string>());
    return a && d && *a == *d;
  }
  return actual == desired;
}

Informer::Counters counters_for(OperatorMetrics& metrics, const std::string& resource) {
  return {[&metrics, resource] {
            metrics.watch_restarts.with({{"resource", resource}}).inc();
          },
          [&metrics, resource] {
            metrics.relists.with({{"resource", resource}}).inc();
          }};
}

}  // namespace

bool contains_fields(const json& actual, const json& desired) {
  if (desired.is_object()) {
    if (!actual.is_object()) return false;
    for (const auto& [key, value] : desired.items()) {
      const auto it = actual.find(key);
      if (it == actual.end()) {
        if (!value.is_null()) return false;
      } else if (!contains_fields(*it, value)) {
        return false;
      }
    }
    return true;
  }
  if (desired.is_array()) {
    if (!actual.is_array() || actual.size() != desired.size()) return false;
    for (size_t i = 0; i < desired.size(); ++i) {
      if (!contains_fields(actual[i], desired[i])) return false;
    }
    return true;
  }
  return equal_scalars(actual, desired);
}

InferenceServiceController::InferenceServiceController(kube::ApiClient& client,
                                                       ControllerOptions options,
                                                       OperatorMetrics& metrics,
                                                       EventRecorder& events)
    : client_(client), options_(std::move(options)), metrics_(metrics), events_(events) {
  const std::string& ns = options_.watch_namespace;
  inference_services_ = std::make_unique<Informer>(
      client_, types::kInferenceService, ns, "",
      [this](const json& isvc) { queue_.add(object_key(isvc)); },
      counters_for(metrics_, types::kInferenceService.plural));
  const auto child = [this](const json& object) { on_child_change(object); };
  deployments_ = std::make_unique<Informer>(client_, types::kDeployment, ns, "", child,
                                            counters_for(metrics_, types::kDeployment.plural));
  services_ = std::make_unique<Informer>(client_, types::kService, ns, "", child,
                                         counters_for(metrics_, types::kService.plural));
  disruption_budgets_ =
      std::make_unique<Informer>(client_, types::kPodDisruptionBudget, ns, "", child,
                                 counters_for(metrics_, types::kPodDisruptionBudget.plural));
  pods_ = std::make_unique<Informer>(client_, types::kPod, ns, kManagedPodsSelector, child,
                                     counters_for(metrics_, types::kPod.plural));
  // The EndpointSlice controller copies the Service's labels onto its slices.
  endpoint_slices_ = std::make_unique<Informer>(
      client_, types::kEndpointSlice, ns, kManagedPodsSelector, [](const json&) {},
      counters_for(metrics_, types::kEndpointSlice.plural));
  autoscaler_ = std::make_unique<QueueDepthAutoscaler>(
      AutoscalerCaches{*inference_services_, *deployments_, *pods_, *endpoint_slices_}, events_,
      metrics_, [this](const std::string& key) { queue_.add(key); }, options_.autoscaler);
}

InferenceServiceController::~InferenceServiceController() { stop(); }

std::string InferenceServiceController::owner_key(const json& object) {
  const json& meta = metadata_of(object);
  const std::string ns = meta.value("namespace", "");
  if (const auto refs = meta.find("ownerReferences"); refs != meta.end() && refs->is_array()) {
    for (const auto& ref : *refs) {
      if (ref.value("controller", false) && ref.value("kind", "") == "InferenceService") {
        return ns + "/" + ref.value("name", "");
      }
    }
  }
  // Pods belong to a ReplicaSet; their label names the InferenceService.
  if (const auto labels = meta.find("labels"); labels != meta.end() && labels->is_object()) {
    const std::string owner = labels->value(std::string(resources::kInferenceServiceLabel), "");
    if (!owner.empty()) return ns + "/" + owner;
  }
  return "";
}

void InferenceServiceController::on_child_change(const json& object) {
  if (const std::string key = owner_key(object); !key.empty()) queue_.add(key);
}

void InferenceServiceController::start_informers() {
  for (Informer* informer : {inference_services_.get(), deployments_.get(), services_.get(),
                             disruption_budgets_.get(), pods_.get(), endpoint_slices_.get()}) {
    informer->start();
  }
}

bool InferenceServiceController::wait_synced(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const Informer* informer :
       {inference_services_.get(), deployments_.get(), services_.get(), disruption_budgets_.get(),
        pods_.get(), endpoint_slices_.get()}) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!informer->wait_synced(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

void InferenceServiceController::start_workers() {
  for (const auto& isvc : inference_services_->list()) queue_.add(object_key(isvc));
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { worker(); });
  resync_ = std::thread([this] { resync_loop(); });
  autoscaler_->start();
}

void InferenceServiceController::stop() {
  if (stopping_.exchange(true)) return;
  autoscaler_->stop();
  queue_.shut_down();
  resync_cv_.notify_all();
  for (auto& t : workers_) t.join();
  if (resync_.joinable()) resync_.join();
  for (Informer* informer : {inference_services_.get(), deployments_.get(), services_.get(),
                             disruption_budgets_.get(), pods_.get(), endpoint_slices_.get()}) {
    informer->stop();
  }
}

void InferenceServiceController::resync_loop() {
  std::unique_lock lock(resync_mutex_);
  while (!resync_cv_.wait_for(lock, options_.resync_period, [this] { return stopping_.load(); })) {
    for (const auto& isvc : inference_services_->list()) queue_.add(object_key(isvc));
  }
}

void InferenceServiceController::worker() {
  while (const auto key = queue_.get()) {
    metrics_.queue_depth.set(double(queue_.depth()));
    metrics_.inference_services.set(double(inference_services_->size()));
    const auto start = std::chrono::steady_clock::now();
    try {
      reconcile(*key);
      queue_.forget(*key);
      metrics_.reconciles.with({{"result", "success"}}).inc();
    } catch (const kube::ApiError& e) {
      // A conflict means our cache was behind: the watch will bring the new version shortly.
      spdlog::log(e.conflict() ? spdlog::level::debug : spdlog::level::warn,
                  "reconcile {} failed: {}", *key, e.what());
      metrics_.reconciles.with({{"result", e.conflict() ? "requeue" : "error"}}).inc();
      if (!e.conflict()) metrics_.reconcile_errors.inc();
      queue_.add_rate_limited(*key);
    } catch (const std::exception& e) {
      spdlog::warn("reconcile {} failed: {}", *key, e.what());
      metrics_.reconciles.with({{"result", "error"}}).inc();
      metrics_.reconcile_errors.inc();
      queue_.add_rate_limited(*key);
    }
    metrics_.reconcile_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    queue_.done(*key);
  }
}

int InferenceServiceController::desired_replicas(const json& isvc,
                                                 const std::optional<json>& deployment,
                                                 const std::optional<ScaleReport>& scale) const {
  const json& spec = isvc.value("spec", json::object());
  const json& scaling = spec.value("scaling", json::object());
  if (scaling.value("mode", "none") != "queueDepth") return spec.value("replicas", 1);
  // The autoscaler owns the count; until it has decided, keep what runs. Bounds apply at once
  // when the spec changes them.
  const int min_replicas = scaling.value("minReplicas", 1);
  const int max_replicas = std::max(min_replicas, scaling.value("maxReplicas", 4));
  int replicas = deployment
                     ? deployment->value("spec", json::object()).value("replicas", min_replicas)
                     : min_replicas;
  if (scale) replicas = scale->desired_replicas;
  return std::clamp(replicas, min_replicas, max_replicas);
}

void InferenceServiceController::apply_owned(const json& isvc, const kube::ResourceType& type,
                                             const json& desired,
                                             const std::optional<json>& actual) {
  const std::string name = metadata_of(desired).value("name", "");
  if (actual) {
    const std::string owner = controller_uid(*actual);
    if (!owner.empty() && owner != uid_of(isvc)) {
      throw std::runtime_error(type.kind + " " + name +
                               " already exists and is controlled by another owner");
    }
    if (!owner.empty() && contains_fields(*actual, desired)) return;
  }
  client_.apply(type, desired, options_.field_manager, /*force=*/true);
  metrics_.api_writes.with({{"resource", type.plural}, {"verb", "apply"}}).inc();
  if (actual) {
    events_.normal(isvc, "Updated", type.kind + " " + name + " updated to match the spec");
  } else {
    events_.normal(isvc, "Created", "created " + type.kind + " " + name);
  }
}

void InferenceServiceController::write_status(const json& isvc, const json& status) {
  const json current = isvc.value("status", json::object());
  if (contains_fields(current, status) && contains_fields(status, current)) return;
  const json& meta = metadata_of(isvc);
  json patch = {
      {"apiVersion", types::kInferenceService.api_version()},
      {"kind", types::kInferenceService.kind},
      {"metadata", {{"name", meta.value("name", "")}, {"namespace", meta.value("namespace", "")}}},
      {"status", status}};
  client_.apply(types::kInferenceService, patch, options_.field_manager, /*force=*/true, "status");
  metrics_.api_writes.with({{"resource", types::kInferenceService.plural}, {"verb", "status"}})
      .inc();
}

void InferenceServiceController::reconcile(const std::string& key) {
  const auto [ns, name] = split_key(key);
  const std::optional<json> isvc = inference_services_->get(ns, name);
  // Deleted: what it owned goes with it (garbage collection by ownerReference).
  if (!isvc || metadata_of(*isvc).contains("deletionTimestamp")) return;

  resources::StatusInput input;
  input.isvc = &*isvc;
  input.problems = resources::validate_spec(*isvc);
  const std::optional<json> deployment = deployments_->get(ns, name);
  const std::optional<ScaleReport> scale = autoscaler_->report(key, uid_of(*isvc));
  input.desired_replicas = desired_replicas(*isvc, deployment, scale);
  if (scale) input.autoscaling = scale->status;
  if (input.problems.empty()) {
    try {
      apply_owned(*isvc, types::kDeployment,
                  resources::deployment(*isvc, options_.engine_defaults, input.desired_replicas),
                  deployment);
      apply_owned(*isvc, types::kService, resources::service(*isvc), services_->get(ns, name));
      apply_owned(*isvc, types::kPodDisruptionBudget, resources::pod_disruption_budget(*isvc),
                  disruption_budgets_->get(ns, name));
    } catch (const kube::ApiError& e) {
      if (!e.invalid()) throw;
      // The API server refused what we built from the spec: retrying cannot help; say why.
      input.problems.push_back({"spec", e.what()});
    }
  }
  if (!input.problems.empty()) {
    events_.warning(*isvc, "InvalidSpec", resources::describe_problems(input.problems));
  }
  const std::optional<json> current_deployment = deployments_->get(ns, name);
  input.deployment = current_deployment ? &*current_deployment : nullptr;
  input.pods = pods_->list([&key](const json& pod) { return owner_key(pod) == key; });
  input.now = resources::Clock::now();
  write_status(*isvc, resources::compute_status(input));
}

}  // namespace controller
