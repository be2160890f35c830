#include "controller/queue_depth_autoscaler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "autoscaling/engine_scrape.h"
#include "autoscaling/prometheus_source.h"
#include "autoscaling/replica_targets.h"
#include "resources/json_fields.h"
#include "resources/labels.h"

namespace controller {

namespace {

using autoscaling::Clock;

// How often the loop looks for due InferenceServices: the finest pollIntervalSeconds.
constexpr std::chrono::seconds kTick{1};
constexpr const char* kServiceNameLabel = "kubernetes.io/service-name";

using resources::member;
const auto text = resources::member_text;

bool has_label(const json& object, const std::string& ns, std::string_view label,
               const std::string& value) {
  const json& meta = member(object, "metadata");
  return text(meta, "namespace") == ns && text(member(meta, "labels"), label) == value;
}

prom::Labels series(const std::string& ns, const std::string& name) {
  return {{"namespace", ns}, {"inferenceservice", name}};
}

// Scaled is False when the autoscaler cannot do what the load asks; its message is the decision
// that set it, kept while the reason holds so a changing queue does not rewrite the status.
resources::ScaledCondition scaled_condition(const autoscaling::Decision& decision,
                                            const std::optional<ScaleReport>& previous) {
  resources::ScaledCondition next;
  const auto& counts = decision.counts;
  if (!decision.driver) {
    next.scaled = false;
    next.reason = counts.missing > 0 ? "MetricsUnavailable" : "WaitingForReplicas";
  } else if (decision.scale_up_blocked) {
    next.scaled = false;
    next.reason = "ScaleUpBlocked";
  } else if (decision.limited_by == autoscaling::Limit::kMaxReplicas) {
    next.scaled = false;
    next.reason = "MaxReplicasReached";
  } else if (decision.changed()) {
    next.reason = decision.desired > decision.current ? "ScaledUp" : "ScaledDown";
  } else if (previous && previous->status.condition.scaled) {
    return previous->status.condition;
  } else {
    next.reason = "Stable";
  }
  if (previous && !decision.changed() && previous->status.condition.scaled == next.scaled &&
      previous->status.condition.reason == next.reason) {
    return previous->status.condition;
  }
  next.message = autoscaling::describe(decision);
  return next;
}

}  // namespace

struct QueueDepthAutoscaler::Poll {
  std::string key, ns, name;
  autoscaling::ScalingSpec spec;
  int current = 0;
  std::vector<autoscaling::ReplicaTarget> targets;
  std::optional<autoscaling::PrometheusSource> prometheus;
  json isvc;
  // Filled by read_loads: one per target, and the fleet's waiting requests when known.
  std::vector<std::optional<autoscaling::EngineLoad>> loads;
  std::optional<double> queue_depth;
};

QueueDepthAutoscaler::QueueDepthAutoscaler(AutoscalerCaches caches, EventRecorder& events,
                                           OperatorMetrics& metrics, Enqueue enqueue,
                                           AutoscalerOptions options)
    : caches_(caches),
      events_(events),
      metrics_(metrics),
      enqueue_(std::move(enqueue)),
      options_(options) {}

QueueDepthAutoscaler::~QueueDepthAutoscaler() { stop(); }

void QueueDepthAutoscaler::start() {
  loop_ = std::thread([this] { run(); });
}

void QueueDepthAutoscaler::stop() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (loop_.joinable()) loop_.join();
}

std::optional<ScaleReport> QueueDepthAutoscaler::report(const std::string& key,
                                                        const std::string& uid) const {
  std::lock_guard lock(mutex_);
  const auto it = tracked_.find(key);
  if (it == tracked_.end() || it->second.uid != uid) return std::nullopt;
  return it->second.report;
}

void QueueDepthAutoscaler::run() {
  std::unique_lock lock(wake_mutex_);
  while (!stopping_) {
    lock.unlock();
    try {
      poll_due(Clock::now());
    } catch (const std::exception& e) {
      spdlog::warn("autoscaler: {}", e.what());
    }
    lock.lock();
    wake_.wait_for(lock, kTick, [this] { return stopping_; });
  }
}

void QueueDepthAutoscaler::poll_due(Clock::time_point now) {
  std::vector<Poll> polls;
  std::set<std::string> live;
  for (const json& isvc : caches_.inference_services.list()) {
    const json& spec = member(isvc, "spec");
    const json& scaling = member(spec, "scaling");
    const json& meta = member(isvc, "metadata");
    if (text(scaling, "mode") != "queueDepth" || meta.contains("deletionTimestamp")) continue;
    Poll poll;
    poll.key = object_key(isvc);
    poll.ns = text(meta, "namespace");
    poll.name = text(meta, "name");
    live.insert(poll.key);
    try {
      poll.spec = autoscaling::scaling_spec_from_resource(spec);
      poll.prometheus = autoscaling::prometheus_source(isvc);
    } catch (const std::invalid_argument&) {
      continue;  // the reconciler reports the invalid spec
    }
    const json& interval_field = member(scaling, "pollIntervalSeconds");
    const int interval =
        std::clamp(interval_field.is_number_integer() ? interval_field.get<int>() : 5, 1, 300);
    {
      std::lock_guard lock(mutex_);
      Tracked& tracked = tracked_[poll.key];
      if (tracked.uid != text(meta, "uid")) {
        tracked = Tracked{};
        tracked.uid = text(meta, "uid");
      }
      if (now < tracked.next_poll) continue;
      tracked.next_poll = now + std::chrono::seconds(interval);
    }
    const std::optional<json> deployment = caches_.deployments.get(poll.ns, poll.name);
    if (!deployment) continue;  // the reconciler creates it first
    const json& replicas = member(member(*deployment, "spec"), "replicas");
    poll.current = replicas.is_number_integer() ? std::max(0, replicas.get<int>()) : 1;
    const std::vector<json> pods = caches_.pods.list([&](const json& pod) {
      return has_label(pod, poll.ns, resources::kInferenceServiceLabel, poll.name);
    });
    const std::vector<json> slices = caches_.endpoint_slices.list(
        [&](const json& slice) { return has_label(slice, poll.ns, kServiceNameLabel, poll.name); });
    poll.targets = autoscaling::replica_targets(pods, slices, text(member(spec, "model"), "uri"));
    poll.isvc = isvc;
    polls.push_back(std::move(poll));
  }

  std::vector<std::string> gone;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, tracked] : tracked_) {
      if (!live.count(key)) gone.push_back(key);
    }
  }
  for (const std::string& key : gone) forget(key);

  read_loads(polls);
  for (Poll& poll : polls) decide(poll, now);
}

void QueueDepthAutoscaler::read_loads(std::vector<Poll>& polls) const {
  // Every replica of every due InferenceService in one parallel batch: a replica that does not
  // answer costs the others nothing.
  std::vector<autoscaling::ScrapeTarget> scrapes;
  for (Poll& poll : polls) {
    poll.loads.assign(poll.targets.size(), std::nullopt);
    if (poll.prometheus) continue;
    for (const auto& target : poll.targets) {
      if (target.metrics_url) scrapes.push_back({target.pod, *target.metrics_url});
    }
  }
  const auto scraped =
      autoscaling::scrape_engines(scrapes, options_.scrape_timeout, options_.scrape_parallelism);
  size_t next = 0;
  for (Poll& poll : polls) {
    if (poll.prometheus) {
      const std::optional<autoscaling::EngineLoad> totals = autoscaling::query_totals(
          *poll.prometheus, poll.spec.target_running.has_value(),
          poll.spec.target_kv_cache_usage.has_value(), options_.scrape_timeout);
      metrics_.engine_scrapes.with({{"result", totals ? "success" : "failure"}}).inc();
      if (!totals) continue;
      poll.queue_depth = totals->waiting;
      // Prometheus knows the fleet's totals: spread them over the ready replicas, which is all
      // the algorithm (sums over replicas) needs.
      const auto ready = std::count_if(poll.targets.begin(), poll.targets.end(), [](const auto& t) {
        return t.phase == autoscaling::ReplicaPhase::kReady;
      });
      for (size_t i = 0; i < poll.targets.size() && ready > 0; ++i) {
        if (poll.targets[i].phase != autoscaling::ReplicaPhase::kReady) continue;
        poll.loads[i] = autoscaling::EngineLoad{totals->waiting / ready, totals->running / ready,
                                                totals->kv_cache_usage / ready};
      }
      continue;
    }
    double waiting = 0;
    bool any = false;
    for (size_t i = 0; i < poll.targets.size(); ++i) {
      if (!poll.targets[i].metrics_url) continue;
      poll.loads[i] = scraped[next++];
      metrics_.engine_scrapes.with({{"result", poll.loads[i] ? "success" : "failure"}}).inc();
      if (poll.loads[i]) {
        waiting += poll.loads[i]->waiting;
        any = true;
      }
    }
    if (any) poll.queue_depth = waiting;
  }
}

void QueueDepthAutoscaler::decide(Poll& poll, Clock::time_point now) {
  autoscaling::DecisionInput input;
  input.now = now;
  input.current_replicas = poll.current;
  for (size_t i = 0; i < poll.targets.size(); ++i) {
    input.replicas.push_back({poll.targets[i].phase, poll.loads[i]});
  }
  std::optional<ScaleReport> previous;
  autoscaling::AutoscalerState state;
  {
    std::lock_guard lock(mutex_);
    const Tracked& tracked = tracked_[poll.key];
    previous = tracked.report;
    state = tracked.state;
  }
  const autoscaling::Decision decision = autoscaling::decide(poll.spec, input, state);

  ScaleReport report;
  report.desired_replicas = decision.desired;
  if (poll.queue_depth && std::isfinite(*poll.queue_depth)) {
    report.status.queue_depth = *poll.queue_depth;
  }
  report.status.last_scale_time = previous ? previous->status.last_scale_time : std::nullopt;
  if (decision.changed()) report.status.last_scale_time = resources::Clock::now();
  report.status.condition = scaled_condition(decision, previous);
  {
    std::lock_guard lock(mutex_);
    Tracked& tracked = tracked_[poll.key];
    tracked.state = decision.state;
    tracked.report = report;
  }

  const prom::Labels labels = series(poll.ns, poll.name);
  if (report.status.queue_depth) {
    metrics_.observed_queue_depth.with(labels).set(*report.status.queue_depth);
  }
  metrics_.desired_replicas.with(labels).set(decision.desired);
  const std::string line = autoscaling::describe(decision);
  if (decision.changed()) {
    prom::Labels direction = labels;
    direction.emplace_back("direction", decision.desired > decision.current ? "up" : "down");
    metrics_.scale_events.with(direction).inc();
    spdlog::info("{}: {}", poll.key, line);
    events_.normal(poll.isvc, "Scaled", line);
  } else {
    spdlog::debug("{}: {}", poll.key, line);
  }
  const bool entered =
      !previous || previous->status.condition.reason != report.status.condition.reason;
  const std::string& reason = report.status.condition.reason;
  if (entered && (reason == "ScaleUpBlocked" || reason == "MetricsUnavailable")) {
    events_.warning(poll.isvc, reason, line);
  }
  if (report != previous) enqueue_(poll.key);
}

void QueueDepthAutoscaler::forget(const std::string& key) {
  {
    std::lock_guard lock(mutex_);
    tracked_.erase(key);
  }
  const auto slash = key.find('/');
  const prom::Labels labels = series(key.substr(0, slash), key.substr(slash + 1));
  metrics_.observed_queue_depth.remove(labels);
  metrics_.desired_replicas.remove(labels);
  for (const char* direction : {"up", "down"}) {
    prom::Labels with_direction = labels;
    with_direction.emplace_back("direction", direction);
    metrics_.scale_events.remove(with_direction);
  }
}

}  // namespace controller
