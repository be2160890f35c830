// The operator's own Prometheus metrics, served on its /metrics.
#pragma once

#include "prometheus/metrics.h"

namespace controller {

struct OperatorMetrics {
  OperatorMetrics();

  prom::Registry registry;
  prom::Family<prom::Counter>& reconciles;  // label result: success, error, requeue
  prom::Counter& reconcile_errors;
  prom::Histogram& reconcile_seconds;
  prom::Gauge& queue_depth;
  prom::Family<prom::Counter>& watch_restarts;  // label resource
  prom::Family<prom::Counter>& relists;         // label resource
  prom::Family<prom::Counter>& api_writes;      // labels resource, verb
  prom::Gauge& leader;
  prom::Gauge& inference_services;
  // The queue-depth autoscaler, per InferenceService (labels namespace, inferenceservice).
  prom::Family<prom::Gauge>& observed_queue_depth;
  prom::Family<prom::Gauge>& desired_replicas;
  prom::Family<prom::Counter>& scale_events;    // plus label direction: up, down
  prom::Family<prom::Counter>& engine_scrapes;  // label result: success, failure
};

}  // namespace controller
