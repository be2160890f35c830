// Probes of the engine container, all on GET /health (503 while loading or draining, 200 when
// serving), and the time budgets behind them.
//
// Startup: the engine maps the GGUF file and warms up before /health turns 200; mapping reads
// the whole file from the volume, so the budget grows with the file:
//   startup budget = load_base_seconds + load_seconds_per_gb × estimated GB   (model_size.h)
// With the defaults (60 s + 15 s/GB, i.e. reading at about 67 MB/s from a network volume) a 7B
// Q4_K_M file (about 4.4 GB) gets 127 s, rounded up to whole probe periods.
// Readiness: takes the replica out of the Service within 10 s of /health failing (a drain).
// Liveness: restarts a hung engine, but only after a window longer than the drain timeout, so a
// draining replica (503 by design) is never restarted mid-drain.
#pragma once

#include <nlohmann/json.hpp>

#include "resources/engine_defaults.h"
#include "resources/model_size.h"

namespace resources {

inline constexpr int kStartupPeriodSeconds = 5;
inline constexpr int kLivenessPeriodSeconds = 10;

int startup_budget_seconds(const ModelSizeEstimate& size, const EngineDefaults& defaults);

// Deployment progressDeadlineSeconds: download (when the file is downloaded) plus the startup
// budget, and no less than defaults.min_progress_deadline_seconds, so that a slow but healthy
// first start is not reported as ProgressDeadlineExceeded.
int progress_deadline_seconds(const ModelSizeEstimate& size, bool downloads,
                              const EngineDefaults& defaults);

nlohmann::json startup_probe(int budget_seconds);
nlohmann::json readiness_probe();
nlohmann::json liveness_probe(int drain_timeout_seconds);

}  // namespace resources
