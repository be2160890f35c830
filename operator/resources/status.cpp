#include "resources/status.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "resources/json_fields.h"
#include "resources/labels.h"
#include "resources/pod_state.h"
#include "resources/service.h"

namespace resources {
namespace {

using nlohmann::json;

constexpr size_t kMaxMessageBytes = 32768;  // metav1.Condition's limit

// Cuts at a UTF-8 character boundary: a cut inside a character would make the JSON unwritable.
std::string bounded(std::string s) {
  if (s.size() <= kMaxMessageBytes) return s;
  size_t cut = kMaxMessageBytes - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s + "...";
}

json safe_object(const json& parent, const char* key) {
  if (!parent.is_object()) return json::object();
  const auto it = parent.find(key);
  return it != parent.end() && it->is_object() ? *it : json::object();
}

int64_t safe_int(const json& obj, const char* key, int64_t fallback) {
  if (!obj.is_object()) return fallback;
  const auto it = obj.find(key);
  return it != obj.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}

std::string safe_text(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

struct Summary {
  std::string phase;  // Pending, Downloading, Loading, Ready, Failed
  std::string reason;
  std::string message;
};

std::string count_text(int n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// The state of a set of pods, with the Deployment's own failures.
Summary summarize(const std::vector<const PodState*>& pods,
                  const std::vector<PodFailure>& deployment_failures) {
  int ready = 0, loading = 0, downloading = 0;
  const PodState* unschedulable = nullptr;
  const PodFailure* failure = nullptr;
  for (const PodState* p : pods) {
    ready += p->stage == PodStage::kReady;
    loading += p->stage == PodStage::kLoading;
    downloading += p->stage == PodStage::kDownloading;
    if (p->unschedulable && !unschedulable) unschedulable = p;
    if (p->stage == PodStage::kFailed && !failure) failure = &*p->failure;
  }
  if (!failure && !deployment_failures.empty()) failure = &deployment_failures.front();
  if (ready > 0) return {"Ready", "ReplicasReady", count_text(ready, "replica") + " ready"};
  if (failure) return {"Failed", failure->reason, failure->message};
  if (loading > 0) {
    return {"Loading", "Loading", count_text(loading, "replica") + " loading the model"};
  }
  if (downloading > 0) {
    return {"Downloading", "Downloading",
            count_text(downloading, "replica") + " downloading the model"};
  }
  if (unschedulable) return {"Pending", "Unschedulable", unschedulable->detail};
  if (pods.empty()) return {"Pending", "NoReplicas", "no engine pod exists yet"};
  return {"Pending", "Pending", count_text(static_cast<int>(pods.size()), "replica") + " starting"};
}

std::vector<PodFailure> deployment_failures(const json* deployment) {
  std::vector<PodFailure> out;
  if (!deployment) return out;
  const json conditions = safe_object(*deployment, "status").value("conditions", json::array());
  if (!conditions.is_array()) return out;
  for (const json& c : conditions) {
    const std::string type = safe_text(c, "type");
    const std::string status = safe_text(c, "status");
    const std::string reason = safe_text(c, "reason");
    std::optional<Clock::time_point> time;
    if (auto t = safe_text(c, "lastTransitionTime"); !t.empty()) time = parse_rfc3339(t);
    if (type == "Progressing" && status == "False" && reason == "ProgressDeadlineExceeded") {
      out.push_back({"ProgressDeadlineExceeded", safe_text(c, "message"), time});
    } else if (type == "ReplicaFailure" && status == "True") {
      out.push_back({"PodCreationFailed", safe_text(c, "message"), time});
    }
  }
  return out;
}

class StatusBuilder {
 public:
  StatusBuilder(const StatusInput& in, const json& isvc)
      : in_(in),
        old_(safe_object(isvc, "status")),
        generation_(safe_int(safe_object(isvc, "metadata"), "generation", 0)) {}

  void condition(json& conditions, const std::string& type, bool status, const std::string& reason,
                 const std::string& message) const {
    const std::string value = status ? "True" : "False";
    std::string since = format_rfc3339(in_.now);
    if (const auto it = old_.find("conditions"); it != old_.end() && it->is_array()) {
      for (const json& c : *it) {
        if (safe_text(c, "type") == type && safe_text(c, "status") == value &&
            !safe_text(c, "lastTransitionTime").empty()) {
          since = safe_text(c, "lastTransitionTime");
        }
      }
    }
    conditions.push_back({{"type", type},
                          {"status", value},
                          {"observedGeneration", generation_},
                          {"lastTransitionTime", since},
                          {"reason", reason},
                          {"message", bounded(message)}});
  }

  // The newest of `candidates` unless the recorded lastFailure is as new; failures without a
  // time of their own are dated now, or keep the recorded time when they repeat it.
  std::optional<json> last_failure(const std::vector<PodFailure>& candidates) const {
    const json old = safe_object(old_, "lastFailure");
    // time_point::min() stands for "none".
    const Clock::time_point old_time =
        old.empty() ? Clock::time_point::min()
                    : parse_rfc3339(safe_text(old, "time")).value_or(Clock::time_point::min());
    json best;
    Clock::time_point best_time = Clock::time_point::min();
    for (const PodFailure& f : candidates) {
      Clock::time_point t = in_.now;
      if (f.time) {
        t = *f.time;
      } else if (old_time != Clock::time_point::min() && safe_text(old, "reason") == f.reason &&
                 safe_text(old, "message") == bounded(f.message)) {
        t = old_time;
      }
      if (best.is_null() || t > best_time) {
        best_time = t;
        best = json{
            {"reason", f.reason}, {"message", bounded(f.message)}, {"time", format_rfc3339(t)}};
      }
    }
    if (old_time != Clock::time_point::min() && (best.is_null() || old_time >= best_time)) {
      return old;
    }
    if (best.is_null()) return old.empty() ? std::nullopt : std::optional<json>(old);
    return best;
  }

  // queueDepth, lastScaleTime and the Scaled condition: the autoscaler's, or the recorded ones
  // until it reports.
  void autoscaling(json& status, json& conditions,
                   const std::optional<AutoscalingStatus>& reported) const {
    const auto keep = [&](const char* key) {
      if (const auto it = old_.find(key); it != old_.end()) status[key] = *it;
    };
    if (!reported) {
      keep("queueDepth");
      keep("lastScaleTime");
      if (const auto it = old_.find("conditions"); it != old_.end() && it->is_array()) {
        for (const json& c : *it) {
          if (safe_text(c, "type") == "Scaled") conditions.push_back(c);
        }
      }
      return;
    }
    if (reported->queue_depth) {
      status["queueDepth"] = std::max(0.0, *reported->queue_depth);
    } else {
      keep("queueDepth");
    }
    if (reported->last_scale_time) {
      status["lastScaleTime"] = format_rfc3339(*reported->last_scale_time);
    } else {
      keep("lastScaleTime");
    }
    condition(conditions, "Scaled", reported->condition.scaled, reported->condition.reason,
              reported->condition.message);
  }

  int64_t generation() const { return generation_; }
  const json& old() const { return old_; }

 private:
  const StatusInput& in_;
  const json old_;
  const int64_t generation_;
};

}  // namespace

json compute_status(const StatusInput& in) {
  if (!in.isvc) throw std::invalid_argument("compute_status: StatusInput.isvc is null");
  const json& isvc = *in.isvc;
  const StatusBuilder b(in, isvc);
  const json meta = safe_object(isvc, "metadata");
  const std::string name = safe_text(meta, "name");
  std::string ns = safe_text(meta, "namespace");
  if (ns.empty()) ns = "default";
  int port = 8000;
  try {
    port = service_port(isvc);
  } catch (const SpecError&) {
    // Reported among the problems; the URL keeps the default port meanwhile.
  }

  json status = {{"observedGeneration", b.generation()},
                 {"desiredReplicas", std::max(0, in.desired_replicas)},
                 {"selector", selector_string(name)},
                 {"url", "http://" + name + "." + ns + ".svc:" + std::to_string(port) + "/v1"}};

  std::string model_uri;
  try {
    model_uri = string_field(isvc, "spec.model.uri").value_or("");
  } catch (const SpecError&) {
    // Also among the problems.
  }
  std::vector<PodState> states;
  for (const json& pod : in.pods) {
    PodState s = classify_pod(pod, model_uri);
    if (s.stage != PodStage::kGone) states.push_back(std::move(s));
  }
  std::vector<const PodState*> all, current;
  for (const PodState& s : states) {
    all.push_back(&s);
    if (s.current_model) current.push_back(&s);
  }
  const std::vector<PodFailure> dep_failures = deployment_failures(in.deployment);

  // Counts: the Deployment's when it has reported them, else the pods'.
  const json dep_status = in.deployment ? safe_object(*in.deployment, "status") : json::object();
  int ready_pods = 0;
  for (const PodState& s : states) ready_pods += s.stage == PodStage::kReady;
  const int replicas =
      static_cast<int>(safe_int(dep_status, "replicas", static_cast<int64_t>(states.size())));
  const int ready = static_cast<int>(safe_int(dep_status, "readyReplicas", ready_pods));
  const int updated = static_cast<int>(safe_int(dep_status, "updatedReplicas", 0));
  status["replicas"] = std::max(0, replicas);
  status["readyReplicas"] = std::max(0, ready);

  // Failures now (for phase and Degraded) and every failure seen (for lastFailure).
  std::vector<PodFailure> failures_now = dep_failures;
  std::vector<PodFailure> failures_seen = dep_failures;
  bool unschedulable = false;
  for (const PodState& s : states) {
    unschedulable = unschedulable || s.unschedulable;
    if (!s.failure) continue;
    if (s.stage == PodStage::kFailed) failures_now.push_back(*s.failure);
    failures_seen.push_back(*s.failure);
  }

  json conditions = json::array();
  if (!in.problems.empty()) {
    const std::string message = describe_problems(in.problems);
    status["phase"] = "Failed";
    b.condition(conditions, "Ready", false, "InvalidSpec", message);
    b.condition(conditions, "ModelReady", false, "InvalidSpec", message);
    b.condition(conditions, "Progressing", false, "InvalidSpec",
                "the operator does not update the Deployment until the spec is fixed");
    b.condition(conditions, "Degraded", true, "InvalidSpec", message);
    failures_seen.insert(failures_seen.begin(), {"InvalidSpec", message, std::nullopt});
  } else {
    const Summary overall = summarize(all, dep_failures);
    const Summary model = summarize(current, dep_failures);
    status["phase"] = overall.phase;
    if (in.desired_replicas <= 0 && states.empty()) {
      b.condition(conditions, "Ready", false, "ScaledToZero", "desiredReplicas is 0");
      b.condition(conditions, "ModelReady", false, "ScaledToZero", "desiredReplicas is 0");
    } else {
      b.condition(conditions, "Ready", overall.phase == "Ready", overall.reason,
                  overall.phase == "Ready"
                      ? std::to_string(ready_pods) + " of " + std::to_string(in.desired_replicas) +
                            " replicas ready"
                      : overall.message);
      b.condition(
          conditions, "ModelReady", model.phase == "Ready",
          model.phase == "Ready" ? "ModelLoaded" : model.reason,
          model.phase == "Ready" ? model_uri + " is loaded: " + model.message : model.message);
    }

    // Progressing: the Deployment has not yet caught up with the spec or the replica count.
    const json dep_meta = in.deployment ? safe_object(*in.deployment, "metadata") : json::object();
    const bool deadline =
        std::any_of(dep_failures.begin(), dep_failures.end(),
                    [](const PodFailure& f) { return f.reason == "ProgressDeadlineExceeded"; });
    const bool observed =
        safe_int(dep_status, "observedGeneration", -1) >= safe_int(dep_meta, "generation", 0);
    if (!in.deployment) {
      b.condition(conditions, "Progressing", true, "Creating", "the Deployment is being created");
    } else if (deadline) {
      b.condition(conditions, "Progressing", false, "ProgressDeadlineExceeded",
                  std::find_if(dep_failures.begin(), dep_failures.end(), [](const PodFailure& f) {
                    return f.reason == "ProgressDeadlineExceeded";
                  })->message);
    } else if (!observed || updated < in.desired_replicas || ready < in.desired_replicas ||
               replicas > in.desired_replicas) {
      b.condition(conditions, "Progressing", true, "RollingOut",
                  std::to_string(updated) + " of " + std::to_string(in.desired_replicas) +
                      " replicas updated, " + std::to_string(ready) + " ready, " +
                      std::to_string(replicas) + " in all");
    } else {
      b.condition(conditions, "Progressing", false, "Complete",
                  "all " + count_text(in.desired_replicas, "replica") + " updated and ready");
    }

    if (!failures_now.empty()) {
      b.condition(conditions, "Degraded", true, failures_now.front().reason,
                  failures_now.front().message);
    } else if (unschedulable) {
      const auto it = std::find_if(states.begin(), states.end(),
                                   [](const PodState& s) { return s.unschedulable; });
      b.condition(conditions, "Degraded", true, "Unschedulable", it->detail);
    } else {
      b.condition(conditions, "Degraded", false, "AsExpected", "no failure");
    }
  }
  const bool queue_depth_mode =
      safe_text(safe_object(safe_object(isvc, "spec"), "scaling"), "mode") == "queueDepth";
  if (queue_depth_mode) b.autoscaling(status, conditions, in.autoscaling);
  status["conditions"] = conditions;

  if (std::optional<json> last = b.last_failure(failures_seen)) status["lastFailure"] = *last;

  // Cold start of the newest Ready pod. A restarted engine's Ready time would count the crash
  // too, so only first starts count.
  const PodState* newest = nullptr;
  for (const PodState& s : states) {
    if (s.stage == PodStage::kReady && !s.engine_restarted && s.created && s.ready_since &&
        (!newest || *s.created > *newest->created)) {
      newest = &s;
    }
  }
  if (newest) {
    const double seconds =
        std::chrono::duration<double>(*newest->ready_since - *newest->created).count();
    status["coldStartSeconds"] = std::max(0.0, std::round(seconds));
  } else if (const auto it = b.old().find("coldStartSeconds");
             it != b.old().end() && it->is_number()) {
    status["coldStartSeconds"] = *it;
  }
  return status;
}

}  // namespace resources
