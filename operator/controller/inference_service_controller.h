// The InferenceService controller: informers over InferenceServices and what they own, a work
// queue of InferenceService keys fed by every change to either, and workers that reconcile one
// key at a time. Reconcile is level-triggered and idempotent: it compares the desired objects
// with the cached ones and writes only what differs, so a missed or repeated event is harmless.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "controller/event_recorder.h"
#include "controller/informer.h"
#include "controller/operator_metrics.h"
#include "controller/queue_depth_autoscaler.h"
#include "controller/work_queue.h"
#include "kube/api_client.h"
#include "resources/engine_defaults.h"

namespace controller {

struct ControllerOptions {
  std::string watch_namespace;  // "" watches every namespace
  int workers = 4;
  std::string field_manager = "mistral-operator";
  // Every InferenceService is reconciled at least this often, whatever the events say.
  std::chrono::seconds resync_period{600};
  resources::EngineDefaults engine_defaults;
  AutoscalerOptions autoscaler;
};

class InferenceServiceController {
 public:
  InferenceServiceController(kube::ApiClient& client, ControllerOptions options,
                             OperatorMetrics& metrics, EventRecorder& events);
  ~InferenceServiceController();

  // Caches fill before leadership, so a new leader starts from warm caches.
  void start_informers();
  bool wait_synced(std::chrono::milliseconds timeout) const;
  // Starts reconciling and autoscaling (once leading).
  void start_workers();
  void stop();

  // Reconciles one "namespace/name" key now; throws what the API calls throw. The workers call
  // it; tests may too.
  void reconcile(const std::string& key);

 private:
  // The InferenceService key an owned object (or a pod) belongs to, "" if none.
  static std::string owner_key(const json& object);
  void on_child_change(const json& object);
  void worker();
  void resync_loop();

  // Server-side applies `desired` unless the cached `actual` already has every field of it.
  void apply_owned(const json& isvc, const kube::ResourceType& type, const json& desired,
                   const std::optional<json>& actual);
  void write_status(const json& isvc, const json& status);
  int desired_replicas(const json& isvc, const std::optional<json>& deployment,
                       const std::optional<ScaleReport>& scale) const;

  kube::ApiClient& client_;
  const ControllerOptions options_;
  OperatorMetrics& metrics_;
  EventRecorder& events_;
  WorkQueue queue_;
  std::unique_ptr<Informer> inference_services_;
  std::unique_ptr<Informer> deployments_;
  std::unique_ptr<Informer> services_;
  std::unique_ptr<Informer> disruption_budgets_;
  std::unique_ptr<Informer> pods_;
  std::unique_ptr<Informer> endpoint_slices_;  // the autoscaler's scrape addresses
  std::unique_ptr<QueueDepthAutoscaler> autoscaler_;
  std::vector<std::thread> workers_;
  std::thread resync_;
  std::atomic<bool> stopping_{false};
  std::mutex resync_mutex_;
  std::condition_variable resync_cv_;
};

// True when every field of `desired` is in `actual` with the same value: what the operator
// wants is there, whatever else others or the server's defaulting added. Quantities compare by
// value ("0.5" and "500m" are equal), numbers by value.
bool contains_fields(const json& actual, const json& desired);

}  // namespace controller
