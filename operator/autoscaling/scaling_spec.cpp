#include "autoscaling/scaling_spec.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace autoscaling {

using namespace std::chrono_literals;

DirectionBehavior default_scale_up() {
  return {0s, {{PolicyKind::kPods, 4, 15s}, {PolicyKind::kPercent, 100, 15s}}, PolicySelect::kMax};
}

DirectionBehavior default_scale_down() {
  return {300s, {{PolicyKind::kPods, 1, 60s}, {PolicyKind::kPercent, 20, 60s}}, PolicySelect::kMax};
}

namespace {

void require(bool ok, const std::string& field, const std::string& rule) {
  if (!ok) throw std::invalid_argument("scaling: " + field + " " + rule);
}

void check_target(const std::optional<double>& target, const std::string& field) {
  if (target) require(std::isfinite(*target) && *target > 0, field, "must be a number above 0");
}

void check_direction(const DirectionBehavior& behavior, const std::string& name) {
  require(behavior.stabilization.count() >= 0, name + ".stabilization", "must not be negative");
  for (const RatePolicy& policy : behavior.policies) {
    require(policy.value > 0, name + ".policies.value", "must be above 0");
    require(policy.period.count() > 0, name + ".policies.period", "must be above 0 seconds");
  }
}

// The CRD's defaults apply to absent fields; a present field of the wrong type is an error.
double number_or(const nlohmann::json& object, const char* key, double fallback) {
  if (!object.contains(key)) return fallback;
  const nlohmann::json& value = object.at(key);
  require(value.is_number(), key, "must be a number");
  return value.get<double>();
}

std::optional<double> optional_number(const nlohmann::json& object, const char* key) {
  if (!object.contains(key)) return std::nullopt;
  return number_or(object, key, 0);
}

int integer_or(const nlohmann::json& object, const char* key, int fallback) {
  if (!object.contains(key)) return fallback;
  const nlohmann::json& value = object.at(key);
  require(value.is_number_integer(), key, "must be an integer");
  const auto number = value.get<int64_t>();
  require(number >= -1'000'000 && number <= 1'000'000, key, "is out of range");
  return static_cast<int>(number);
}

const nlohmann::json& object_or_empty(const nlohmann::json& parent, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (!parent.is_object() || !parent.contains(key)) return empty;
  const nlohmann::json& value = parent.at(key);
  require(value.is_object(), key, "must be an object");
  return value;
}

}  // namespace

void validate(const ScalingSpec& spec) {
  require(spec.min_replicas >= 1, "minReplicas",
          "must be at least 1: with no replica there is no queue to measure");
  require(spec.max_replicas >= spec.min_replicas, "maxReplicas",
          "must be at least minReplicas (" + std::to_string(spec.min_replicas) + ")");
  check_target(spec.target_waiting, "targetQueueDepth");
  check_target(spec.target_running, "targetRunning");
  check_target(spec.target_kv_cache_usage, "targetKvCacheUsage");
  if (spec.target_kv_cache_usage) {
    require(*spec.target_kv_cache_usage <= 1, "targetKvCacheUsage", "must be at most 1");
  }
  check_target(spec.replica_concurrency, "replicaConcurrency");
  require(std::isfinite(spec.tolerance) && spec.tolerance >= 0 && spec.tolerance < 1, "tolerance",
          "must be in [0, 1)");
  check_direction(spec.scale_up, "scaleUp");
  check_direction(spec.scale_down, "scaleDown");
}

ScalingSpec scaling_spec_from_resource(const nlohmann::json& isvc_spec) {
  require(isvc_spec.is_object(), "spec", "must be an object");
  const nlohmann::json& scaling = object_or_empty(isvc_spec, "scaling");
  const nlohmann::json& engine = object_or_empty(isvc_spec, "engine");
  ScalingSpec spec;
  spec.min_replicas = integer_or(scaling, "minReplicas", 1);
  spec.max_replicas = integer_or(scaling, "maxReplicas", 4);
  spec.target_waiting = number_or(scaling, "targetQueueDepth", 4);
  spec.target_running = optional_number(scaling, "targetRunning");
  spec.target_kv_cache_usage = optional_number(scaling, "targetKvCacheUsage");
  spec.replica_concurrency = integer_or(engine, "maxNumSeqs", 64);
  spec.scale_up.stabilization =
      std::chrono::seconds(integer_or(scaling, "scaleUpStabilizationSeconds", 0));
  spec.scale_down.stabilization =
      std::chrono::seconds(integer_or(scaling, "scaleDownStabilizationSeconds", 300));
  validate(spec);
  return spec;
}

}  // namespace autoscaling
