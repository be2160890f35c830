#include "resources/probes.h"

#include <algorithm>
#include <cmath>

#include "resources/engine_command.h"

namespace resources {
namespace {

nlohmann::json health_get() { return {{"path", "/health"}, {"port", kHttpPortName}}; }

int ceil_div(int a, int b) { return (a + b - 1) / b; }

}  // namespace

int startup_budget_seconds(const ModelSizeEstimate& size, const EngineDefaults& defaults) {
  const double gb = size.bytes / 1e9;
  return defaults.load_base_seconds +
         static_cast<int>(std::ceil(defaults.load_seconds_per_gb * gb));
}

int progress_deadline_seconds(const ModelSizeEstimate& size, bool downloads,
                              const EngineDefaults& defaults) {
  const double gb = size.bytes / 1e9;
  const int download =
      downloads ? static_cast<int>(std::ceil(defaults.download_seconds_per_gb * gb)) : 0;
  return std::max(defaults.min_progress_deadline_seconds,
                  download + startup_budget_seconds(size, defaults));
}

nlohmann::json startup_probe(int budget_seconds) {
  return {{"httpGet", health_get()},
          {"periodSeconds", kStartupPeriodSeconds},
          {"timeoutSeconds", 2},
          {"failureThreshold", std::max(1, ceil_div(budget_seconds, kStartupPeriodSeconds))}};
}

nlohmann::json readiness_probe() {
  return {{"httpGet", health_get()},
          {"periodSeconds", 5},
          {"timeoutSeconds", 2},
          {"successThreshold", 1},
          {"failureThreshold", 2}};
}

nlohmann::json liveness_probe(int drain_timeout_seconds) {
  // At least a minute, and 30 s more than a drain.
  const int window = std::max(60, drain_timeout_seconds + 30);
  return {{"httpGet", health_get()},
          {"periodSeconds", kLivenessPeriodSeconds},
          {"timeoutSeconds", 5},
          {"failureThreshold", ceil_div(window, kLivenessPeriodSeconds)}};
}

}  // namespace resources
