#include "serving/engine_metrics.h"

namespace engine {
namespace {

const std::vector<double> kLatencyBuckets = {0.001, 0.005, 0.01, 0.02,  0.04,  0.06,  0.08, 0.1,
                                             0.25,  0.5,   0.75, 1.0,   2.5,   5.0,   7.5,  10.0,
                                             20.0,  40.0,  80.0, 160.0, 640.0, 2560.0};
const std::vector<double> kPerTokenBuckets = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,
                                              0.3,  0.4,   0.5,  0.75,  1.0, 2.5,  5.0,
                                              7.5,  10.0,  20.0, 40.0,  80.0};

}  // namespace

EngineMetrics::EngineMetrics(const std::string& model_name)
    : registry({{"model_name", model_name}}),
      requests_running(
          registry.gauge("vllm:num_requests_running", "Number of sequences in the running batch.")
              .with()),
      requests_waiting(
          registry.gauge("vllm:num_requests_waiting", "Number of sequences waiting to run.")
              .with()),
      kv_cache_usage(
          registry.gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.")
              .with()),
      gpu_cache_usage(registry
                          .gauge("vllm:gpu_cache_usage_perc",
                                 "KV-cache usage (older name of vllm:kv_cache_usage_perc).")
                          .with()),
      preemptions(registry
                      .counter("vllm:num_preemptions_total",
                               "Sequences preempted (KV blocks reclaimed, recomputed later).")
                      .with()),
      prompt_tokens(
          registry.counter("vllm:prompt_tokens_total", "Prefill tokens processed.").with()),
      generation_tokens(
          registry.counter("vllm:generation_tokens_total", "Generation tokens processed.").with()),
      prefix_cache_queries(registry
                               .counter("vllm:prefix_cache_queries_total",
                                        "Prompt tokens looked up in the prefix cache.")
                               .with()),
      prefix_cache_hits(registry
                            .counter("vllm:prefix_cache_hits_total",
                                     "Prompt tokens found in the prefix cache (not prefilled).")
                            .with()),
      request_success(
          registry.counter("vllm:request_success_total", "Finished sequences, by finish reason.")),
      requests_rejected(registry.counter("mistral_engine_requests_rejected_total",
                                         "Requests refused before queueing (429 queue_full, 503 "
                                         "draining), by reason.")),
      requests_aborted(registry
                           .counter("mistral_engine_requests_aborted_total",
                                    "Sequences cancelled because their client went away.")
                           .with()),
      queue_time(registry
                     .histogram("vllm:request_queue_time_seconds",
                                "Time from arrival to first scheduling.", kLatencyBuckets)
                     .with()),
      time_to_first_token(registry
                              .histogram("vllm:time_to_first_token_seconds",
                                         "Time from arrival to the first generated token.",
                                         kLatencyBuckets)
                              .with()),
      time_per_output_token(registry
                                .histogram("vllm:time_per_output_token_seconds",
                                           "Time between generated tokens of a sequence.",
                                           kPerTokenBuckets)
                                .with()),
      e2e_latency(registry
                      .histogram("vllm:e2e_request_latency_seconds",
                                 "Time from arrival to the last token.", kLatencyBuckets)
                      .with()),
      step_seconds(registry
                       .histogram("mistral_engine_step_seconds",
                                  "Duration of one scheduler step (one forward pass).",
                                  kLatencyBuckets)
                       .with()),
      batch_tokens(registry
                       .gauge("mistral_engine_batch_tokens",
                              "Tokens in the latest step's forward pass (decode plus prefill).")
                       .with()),
      kv_cache_blocks(
          registry.gauge("mistral_engine_kv_cache_blocks", "KV-cache blocks in the pool.").with()) {
}

}  // namespace engine
