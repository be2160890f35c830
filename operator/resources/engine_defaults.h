// The operator's settings for the engine pods (its command-line flags), shared by every
// InferenceService.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace resources {

struct EngineDefaults {
  std::string cpu_image;           // --engine-image: spec.engine.image unset, accelerator cpu
  std::string vulkan_image;        // its Vulkan variant, for accelerator vulkan
  std::string image_pull_policy;   // Always, IfNotPresent, Never; "" leaves the cluster's default
  int drain_timeout_seconds = 30;  // mistral-engine serve --drain-timeout
  // The preStop pause before SIGTERM: kube-proxy, ingresses and gateways drop the pod's endpoint
  // asynchronously, and requests they still send must find it serving.
  int pre_stop_sleep_seconds = 5;
  // A `sleep` preStop action (beta, on by default, in Kubernetes 1.30) needs no sleep binary in
  // the image; without it the hook runs `sleep` from the image. See lifecycle_sleep_supported().
  bool lifecycle_sleep_action = false;
  // terminationGracePeriodSeconds = pre-stop sleep + drain timeout + this, for the engine to
  // finish writing responses and exit after the drain deadline.
  int termination_margin_seconds = 10;
  int revision_history_limit = 3;
  // Startup budget (probes.h): base + seconds per GB of the estimated file size.
  int load_base_seconds = 60;
  double load_seconds_per_gb = 15;
  // Download time per GB for progressDeadlineSeconds (60 s/GB is about 17 MB/s).
  double download_seconds_per_gb = 60;
  int min_progress_deadline_seconds = 600;
};

// Whether the API server's /version answer ({"major": "1", "minor": "30+", ...}) is a release
// whose pods accept lifecycle sleep actions by default (1.30 and later). False when unreadable.
bool lifecycle_sleep_supported(const nlohmann::json& version_info);

}  // namespace resources
