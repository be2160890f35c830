// The queue-depth autoscaler's loop: for every InferenceService with scaling.mode queueDepth,
// once per spec.scaling.pollIntervalSeconds it reads the replicas' load (each ready endpoint's
// /metrics, or Prometheus when configured), runs autoscaling::decide() and keeps the result for
// the reconciler. It writes nothing to the API server itself except Events: the reconciler
// applies the Deployment's replicas and the status from report(), so one writer owns each field
// and a decision is applied (and retried) like any other change.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "autoscaling/autoscaler.h"
#include "controller/event_recorder.h"
#include "controller/informer.h"
#include "controller/operator_metrics.h"
#include "resources/status.h"

namespace controller {

struct AutoscalerOptions {
  // One read of one replica; a replica slower than this counts as missing metrics.
  std::chrono::milliseconds scrape_timeout{2000};
  int scrape_parallelism = 16;
};

// The caches the autoscaler reads; the controller owns them.
struct AutoscalerCaches {
  const Informer& inference_services;
  const Informer& deployments;
  const Informer& pods;
  const Informer& endpoint_slices;
};

// What the reconciler applies.
struct ScaleReport {
  int desired_replicas = 0;
  resources::AutoscalingStatus status;
  bool operator==(const ScaleReport&) const = default;
};

class QueueDepthAutoscaler {
 public:
  using Enqueue = std::function<void(const std::string& key)>;

  QueueDepthAutoscaler(AutoscalerCaches caches, EventRecorder& events, OperatorMetrics& metrics,
                       Enqueue enqueue, AutoscalerOptions options = {});
  ~QueueDepthAutoscaler();

  void start();
  void stop();

  // The latest decision for this InferenceService ("namespace/name" and uid, so a recreated one
  // starts afresh); none before its first poll.
  std::optional<ScaleReport> report(const std::string& key, const std::string& uid) const;

 private:
  struct Tracked {
    std::string uid;
    autoscaling::AutoscalerState state;
    autoscaling::Clock::time_point next_poll{};
    std::optional<ScaleReport> report;
  };
  struct Poll;

  void run();
  // One pass: polls the InferenceServices that are due, forgets those gone.
  void poll_due(autoscaling::Clock::time_point now);
  void read_loads(std::vector<Poll>& polls) const;
  void decide(Poll& poll, autoscaling::Clock::time_point now);
  void forget(const std::string& key);

  AutoscalerCaches caches_;
  EventRecorder& events_;
  OperatorMetrics& metrics_;
  const Enqueue enqueue_;
  const AutoscalerOptions options_;

  mutable std::mutex mutex_;  // tracked_
  std::map<std::string, Tracked> tracked_;

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread loop_;
};

}  // namespace controller
