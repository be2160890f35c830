#include "resources/pod_state.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "resources/deployment.h"
#include "resources/json_fields.h"

namespace resources {
namespace {

using nlohmann::json;

const auto text = member_text;

std::optional<Clock::time_point> time_of(const json& obj, std::string_view key) {
  const json& v = member(obj, key);
  return v.is_string() ? parse_rfc3339(v.get_ref<const std::string&>()) : std::nullopt;
}

const json* container_status(const json& pod, std::string_view list, std::string_view name) {
  const json& statuses = member(member(pod, "status"), list);
  if (!statuses.is_array()) return nullptr;
  for (const json& s : statuses) {
    if (text(s, "name") == name) return &s;
  }
  return nullptr;
}

const json* pod_condition(const json& pod, std::string_view type) {
  const json& conditions = member(member(pod, "status"), "conditions");
  if (!conditions.is_array()) return nullptr;
  for (const json& c : conditions) {
    if (text(c, "type") == type) return &c;
  }
  return nullptr;
}

bool contains_word(std::string haystack, std::string_view needle) {
  std::transform(haystack.begin(), haystack.end(), haystack.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return haystack.find(needle) != std::string::npos;
}

// A terminated state (exit code, reason, message, finishedAt) as a failure, or nullopt for a
// clean exit.
std::optional<PodFailure> termination_failure(const json& terminated, const std::string& pod_name,
                                              bool download) {
  if (!terminated.is_object()) return std::nullopt;
  const json& code = member(terminated, "exitCode");
  const int exit_code = code.is_number_integer() ? code.get<int>() : 0;
  const std::string reason = text(terminated, "reason");
  if (exit_code == 0 && reason != "OOMKilled") return std::nullopt;
  const std::string message = text(terminated, "message");
  PodFailure f;
  f.time = time_of(terminated, "finishedAt");
  const std::string what = download ? "the model download" : "mistral-engine";
  if (reason == "OOMKilled") {
    f.reason = "OOMKilled";
    f.message = "pod " + pod_name + ": " + what +
                " ran out of memory (OOMKilled); raise spec.engine.resources.limits.memory";
  } else {
    f.reason = !download ? "EngineCrashed"
               : (contains_word(message, "sha256") || contains_word(message, "checksum"))
                   ? "ChecksumMismatch"
                   : "DownloadFailed";
    f.message = "pod " + pod_name + ": " + what + " exited with code " + std::to_string(exit_code);
  }
  if (!message.empty()) f.message += ": " + message;
  return f;
}

// A container waiting for a reason that will not pass by itself.
std::optional<PodFailure> waiting_failure(const json& status, const std::string& pod_name,
                                          bool download) {
  const json& waiting = member(member(status, "state"), "waiting");
  if (!waiting.is_object()) return std::nullopt;
  const std::string reason = text(waiting, "reason");
  const std::string message = text(waiting, "message");
  const std::string container = text(status, "name");
  const auto failure = [&](std::string r, std::string what) {
    return PodFailure{std::move(r),
                      "pod " + pod_name + ", container " + container + ": " + what +
                          (message.empty() ? "" : ": " + message),
                      std::nullopt};
  };
  if (reason == "CrashLoopBackOff") {
    // The crash itself is in lastState; the back-off message only repeats the pod's name.
    if (auto f = termination_failure(member(member(status, "lastState"), "terminated"), pod_name,
                                     download)) {
      return f;
    }
    return failure(download ? "DownloadFailed" : "EngineCrashed", "restarting after failures");
  }
  if (reason == "ErrImagePull" || reason == "ImagePullBackOff" || reason == "InvalidImageName" ||
      reason == "ErrImageNeverPull") {
    return failure("ImagePullFailed",
                   "cannot pull image " + text(status, "image") + " (" + reason + ")");
  }
  if (reason == "CreateContainerConfigError") {
    return failure("ContainerConfigError", "cannot be configured");
  }
  if (reason == "CreateContainerError" || reason == "RunContainerError" || reason == "StartError") {
    return failure("ContainerStartFailed", "cannot start (" + reason + ")");
  }
  return std::nullopt;
}

}  // namespace

PodState classify_pod(const json& pod, const std::string& model_uri) {
  PodState state;
  const json& meta = member(pod, "metadata");
  const std::string name = text(meta, "name");
  state.created = time_of(meta, "creationTimestamp");
  const json& annotations = member(meta, "annotations");
  if (annotations.is_object() && annotations.contains(kModelUriAnnotation)) {
    state.current_model = text(annotations, kModelUriAnnotation) == model_uri;
  }
  const std::string phase = text(member(pod, "status"), "phase");
  if (member(meta, "deletionTimestamp").is_string() || phase == "Succeeded" || phase == "Failed") {
    state.stage = PodStage::kGone;
    return state;
  }
  if (const json* scheduled = pod_condition(pod, "PodScheduled");
      scheduled && text(*scheduled, "status") == "False") {
    state.unschedulable = text(*scheduled, "reason") == "Unschedulable";
    state.detail = text(*scheduled, "reason") + ": " + text(*scheduled, "message");
    return state;
  }

  // The download first: the engine starts only after it succeeded.
  if (const json* init = container_status(pod, "initContainerStatuses", kDownloadContainer)) {
    const json& st = member(*init, "state");
    if (auto f = waiting_failure(*init, name, true)) {
      state.stage = PodStage::kFailed;
      state.failure = f;
      return state;
    }
    if (auto f = termination_failure(member(st, "terminated"), name, true)) {
      state.stage = PodStage::kFailed;
      state.failure = f;
      return state;
    }
    if (member(st, "running").is_object()) {
      state.stage = PodStage::kDownloading;
      state.failure =
          termination_failure(member(member(*init, "lastState"), "terminated"), name, true);
      return state;
    }
    if (!member(st, "terminated").is_object()) return state;  // not started yet
  }

  const json* engine = container_status(pod, "containerStatuses", kEngineContainer);
  if (!engine) return state;
  const json& st = member(*engine, "state");
  const json& restarts = member(*engine, "restartCount");
  state.engine_restarted = restarts.is_number_integer() && restarts.get<int64_t>() > 0;
  const std::optional<PodFailure> past =
      termination_failure(member(member(*engine, "lastState"), "terminated"), name, false);
  if (auto f = waiting_failure(*engine, name, false)) {
    state.stage = PodStage::kFailed;
    state.failure = f;
  } else if (auto t = termination_failure(member(st, "terminated"), name, false)) {
    state.stage = PodStage::kFailed;
    state.failure = t;
  } else if (const json* ready = pod_condition(pod, "Ready");
             ready && text(*ready, "status") == "True") {
    state.stage = PodStage::kReady;
    state.ready_since = time_of(*ready, "lastTransitionTime");
    state.failure = past;
  } else if (member(st, "running").is_object()) {
    state.stage = PodStage::kLoading;
    state.failure = past;
  }
  return state;
}

}  // namespace resources
