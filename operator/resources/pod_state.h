// Where one engine pod is on its way to serving, read from its status:
//   Pending      not scheduled, or containers being created
//   Downloading  the model-download init container runs
//   Loading      the engine runs but /health is not yet 200 (mapping and warming up)
//   Ready        the pod's Ready condition is True
//   Failed       a container cannot start or keeps failing: a download that exited non-zero,
//                CrashLoopBackOff, an image that cannot be pulled, a missing Secret, ...
//   Gone         terminating or finished (evicted); left out of the InferenceService's state
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "resources/timestamps.h"

namespace resources {

enum class PodStage { kPending, kDownloading, kLoading, kReady, kFailed, kGone };

struct PodFailure {
  std::string reason;   // CamelCase: DownloadFailed, ChecksumMismatch, EngineCrashed, OOMKilled,
                        // ImagePullFailed, ContainerConfigError, ContainerStartFailed
  std::string message;  // names the pod and says what happened
  std::optional<Clock::time_point> time;  // when the container terminated, if known
};

struct PodState {
  PodStage stage = PodStage::kPending;
  std::string detail;  // for Pending: why ("Unschedulable: 0/3 nodes are available: ...")
  bool unschedulable = false;
  // kFailed: what fails now. Otherwise the failure of a container that has since been
  // restarted (a retried download, an engine loading again after a crash), if any.
  std::optional<PodFailure> failure;
  // The pod was made for this model URI (its kModelUriAnnotation); true when it has none.
  bool current_model = true;
  std::optional<Clock::time_point> created;
  std::optional<Clock::time_point> ready_since;  // the Ready condition's lastTransitionTime
  bool engine_restarted = false;                 // the engine container's restartCount > 0
};

PodState classify_pod(const nlohmann::json& pod, const std::string& model_uri);

}  // namespace resources
