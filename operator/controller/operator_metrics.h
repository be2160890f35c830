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
};

}  // namespace controller
