// The Deployment that runs an InferenceService's engine replicas, as a server-side apply
// configuration (only the fields the operator owns).
//
// Pod: an init container `model-download` (hf:// and https:// only) runs `mistral-engine pull`
// into the cache volume; the `engine` container serves it on port 8000 ("http"), mounting the
// model read-only at /models. Probes follow probes.h; on deletion the pod sleeps
// (pre_stop_sleep_seconds) so that load balancers forget it, then the engine drains for up to
// its drain timeout within terminationGracePeriodSeconds. Rolling updates add one replica before
// removing one (maxSurge 1, maxUnavailable 0): capacity never dips while a new replica spends
// minutes downloading and loading. A cluster without room for that extra replica (one GPU node)
// stalls the rollout rather than dropping capacity.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "resources/engine_defaults.h"
#include "resources/json_fields.h"
#include "resources/model_source.h"

namespace resources {

inline constexpr std::string_view kEngineContainer = "engine";
inline constexpr std::string_view kDownloadContainer = "model-download";
// On the pod template: the model URI the pod was made for, so that status can tell pods that
// serve the current model from those of an older spec during a rollout.
inline constexpr std::string_view kModelUriAnnotation = "serving.mistral-fleet.dev/model-uri";

// Throws SpecError (json_fields.h) or ModelUriError (model_source.h) for a spec that
// validate_spec() rejects, and SpecError naming "engine image" when neither spec.engine.image
// nor the operator's default image for the accelerator is set; std::invalid_argument for
// replicas < 0.
nlohmann::json deployment(const nlohmann::json& isvc, const EngineDefaults& defaults, int replicas);

}  // namespace resources
