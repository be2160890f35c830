// The engine's Prometheus metrics. vLLM's names where vLLM has one, so dashboards, KEDA and HPA
// rules written for vLLM work unchanged; mistral_engine_* for the rest.
#pragma once

#include <string>

#include "prometheus/metrics.h"

namespace engine {

struct EngineMetrics {
  explicit EngineMetrics(const std::string& model_name);

  prom::Registry registry;
  prom::Gauge& requests_running;
  prom::Gauge& requests_waiting;
  prom::Gauge& kv_cache_usage;
  prom::Gauge& gpu_cache_usage;  // vLLM's older name for kv_cache_usage
  prom::Counter& preemptions;
  prom::Counter& prompt_tokens;
  prom::Counter& generation_tokens;
  prom::Counter& prefix_cache_queries;
  prom::Counter& prefix_cache_hits;
  prom::Family<prom::Counter>& request_success;    // label finished_reason
  prom::Family<prom::Counter>& requests_rejected;  // label reason
  prom::Counter& requests_aborted;
  prom::Histogram& queue_time;
  prom::Histogram& time_to_first_token;
  prom::Histogram& time_per_output_token;
  prom::Histogram& e2e_latency;
  prom::Histogram& step_seconds;
  prom::Gauge& batch_tokens;
  prom::Gauge& kv_cache_blocks;
};

}  // namespace engine
