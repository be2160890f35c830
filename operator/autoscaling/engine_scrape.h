// Reading each engine replica's load from its own /metrics: the autoscaler's default source,
// which needs nothing installed in the cluster beyond the engines themselves.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "autoscaling/replica_sample.h"
#include "prometheus/text_parser.h"

namespace autoscaling {

// An engine's /metrics is a few KiB; anything far larger is not an engine, and reading it from
// every pod at each poll would cost the operator memory and time.
inline constexpr std::size_t kMaxScrapeBodyBytes = 4 << 20;

// The sums over label sets of vllm:num_requests_waiting, vllm:num_requests_running and
// vllm:kv_cache_usage_perc (vllm:gpu_cache_usage_perc, the older name, when only it is present);
// a gauge that is absent reads as 0. nullopt when vllm:num_requests_waiting is absent: whatever
// answered is not an engine, and reading it as an idle one would scale the fleet down.
std::optional<EngineLoad> engine_load(const std::vector<prom::Sample>& samples);

struct ScrapeTarget {
  std::string pod;  // named in the logs
  std::string url;  // http://10.0.0.5:8000/metrics
};

// GETs every target, at most `parallelism` at once (at least one). Result i is target i's load, or
// nullopt when it could not be read: a transport error, a status other than 200, a body over
// kMaxScrapeBodyBytes, a body that does not parse, no waiting gauge. Failures are logged at debug
// level and never thrown: a replica without metrics is the autoscaler's normal case (starting,
// overloaded, being deleted). `timeout` bounds the connection and the response head, and reading
// the body stops once it has passed; a server that stalls mid-body is given up after at most
// twice `timeout`.
std::vector<std::optional<EngineLoad>> scrape_engines(const std::vector<ScrapeTarget>& targets,
                                                      std::chrono::milliseconds timeout,
                                                      int parallelism = 16);

}  // namespace autoscaling
