#include "controller/operator_metrics.h"

namespace controller {

namespace {

const std::vector<double> kReconcileBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                               0.25,  0.5,    1.0,   2.5,  5.0,   10.0, 30.0};

}  // namespace

OperatorMetrics::OperatorMetrics()
    : reconciles(registry.counter("mistral_operator_reconcile_total",
                                  "Reconciles of InferenceServices, by result.")),
      reconcile_errors(registry
                           .counter("mistral_operator_reconcile_errors_total",
                                    "Reconciles that failed and were retried with backoff.")
                           .with()),
      reconcile_seconds(registry
                            .histogram("mistral_operator_reconcile_duration_seconds",
                                       "Time one reconcile took.", kReconcileBuckets)
                            .with()),
      queue_depth(
          registry.gauge("mistral_operator_workqueue_depth", "Keys waiting to be reconciled.")
              .with()),
      watch_restarts(registry.counter("mistral_operator_watch_restarts_total",
                                      "Watches re-established, by resource.")),
      relists(registry.counter("mistral_operator_relists_total",
                               "Full lists, at start and after 410 Gone, by resource.")),
      api_writes(registry.counter("mistral_operator_api_writes_total",
                                  "Writes to the API server, by resource and verb.")),
      leader(
          registry.gauge("mistral_operator_leader", "1 while this replica leads, else 0.").with()),
      inference_services(registry
                             .gauge("mistral_operator_inference_services",
                                    "InferenceServices in the operator's cache.")
                             .with()),
      observed_queue_depth(registry.gauge(
          "mistral_operator_observed_queue_depth",
          "Requests waiting, summed over an autoscaled InferenceService's replicas, at the last "
          "poll.")),
      desired_replicas(registry.gauge(
          "mistral_operator_desired_replicas",
          "Replicas the queue-depth autoscaler last asked for, per InferenceService.")),
      scale_events(registry.counter("mistral_operator_scale_events_total",
                                    "Replica count changes made by the queue-depth autoscaler, "
                                    "by InferenceService and direction.")),
      engine_scrapes(registry.counter("mistral_operator_engine_scrapes_total",
                                      "Reads of an engine replica's /metrics, by result.")) {}

}  // namespace controller
