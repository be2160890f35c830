// Reading the fleet's load from Prometheus (spec.scaling.prometheus) instead of scraping each pod:
// for clusters where the operator may not reach the pods, or where Prometheus already scrapes
// them. Prometheus answers with totals over the fleet, not per replica.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "autoscaling/replica_sample.h"

namespace autoscaling {

struct PrometheusSource {
  std::string url;  // base URL, e.g. http://prometheus-operated.monitoring.svc:9090
  // PromQL for the total waiting requests: spec.scaling.prometheus.query, or by default
  // sum(vllm:num_requests_waiting{namespace="NS",model_name="SERVED"}).
  std::string query;
  // The same matchers on vllm:num_requests_running and vllm:kv_cache_usage_perc (falling back to
  // vllm:gpu_cache_usage_perc, as engine_load does); a custom `query` does not change them.
  std::string running_query;
  std::string kv_cache_query;
};

// nullopt when the InferenceService does not set spec.scaling.prometheus. The served name is the
// engine's --served-model-name (resources::served_model_name). Throws std::invalid_argument
// (resources::SpecError naming the field, or ModelUriError) for a spec it cannot use.
std::optional<PrometheusSource> prometheus_source(const nlohmann::json& isvc);

// Totals over the fleet by the Prometheus HTTP API (GET /api/v1/query; a vector's values summed,
// an empty vector is 0, or a scalar). running_query and kv_cache_query are asked only when
// `running` / `kv` is set (spec.scaling targetRunning / targetKvCacheUsage); otherwise their
// totals read 0. `timeout` bounds all the queries together. nullopt on any failure (transport,
// non-200, status error, unexpected JSON, a value that is not a finite number), with a debug log.
std::optional<EngineLoad> query_totals(const PrometheusSource& source, bool running, bool kv,
                                       std::chrono::milliseconds timeout);

}  // namespace autoscaling
