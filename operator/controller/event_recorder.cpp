#include "controller/event_recorder.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <random>

namespace controller {

namespace {

constexpr auto kAggregationWindow = std::chrono::minutes(10);
constexpr size_t kMaxRemembered = 4096;
constexpr size_t kMaxMessageBytes = 1024;

std::string rfc3339_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Event names are the object's name plus a unique suffix, as kubectl shows them.
std::string event_name(const std::string& object_name) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char suffix[20];
  std::snprintf(suffix, sizeof suffix, ".%016llx", static_cast<unsigned long long>(rng()));
  return object_name + suffix;
}

}  // namespace

EventRecorder::EventRecorder(kube::ApiClient& client, std::string component, std::string instance)
    : client_(client), component_(std::move(component)), instance_(std::move(instance)) {}

void EventRecorder::normal(const nlohmann::json& object, const std::string& reason,
                           const std::string& message) {
  record(object, "Normal", reason, message);
}

void EventRecorder::warning(const nlohmann::json& object, const std::string& reason,
                            const std::string& message) {
  record(object, "Warning", reason, message);
}

void EventRecorder::record(const nlohmann::json& object, const std::string& type,
                           const std::string& reason, const std::string& raw_message) {
  using nlohmann::json;
  const json& meta = object.value("metadata", json::object());
  const std::string ns = meta.value("namespace", "default");
  const std::string name = meta.value("name", "");
  const std::string uid = meta.value("uid", "");
  const std::string message = raw_message.substr(0, kMaxMessageBytes);
  const std::string key = uid + '\0' + type + '\0' + reason + '\0' + message;
  const std::string now = rfc3339_now();
  const auto clock_now = std::chrono::steady_clock::now();

  Seen seen;
  bool repeat = false;
  {
    std::lock_guard lock(mutex_);
    if (seen_.size() > kMaxRemembered) seen_.clear();
    auto it = seen_.find(key);
    repeat = it != seen_.end() && clock_now - it->second.last < kAggregationWindow;
    if (!repeat) it = seen_.insert_or_assign(key, Seen{event_name(name), 0, now, {}}).first;
    it->second.count += 1;
    it->second.last = clock_now;
    seen = it->second;
  }
  spdlog::info("event {} {} on {}/{}: {}", type, reason, ns, name, message);
  try {
    if (repeat) {
      client_.merge_patch(kube::resource_types::kEvent, ns, seen.event_name,
                          json{{"count", seen.count}, {"lastTimestamp", now}});
      return;
    }
    client_.create(kube::resource_types::kEvent,
                   json{{"apiVersion", "v1"},
                        {"kind", "Event"},
                        {"metadata", {{"name", seen.event_name}, {"namespace", ns}}},
                        {"involvedObject",
                         {{"apiVersion", object.value("apiVersion", "")},
                          {"kind", object.value("kind", "")},
                          {"namespace", ns},
                          {"name", name},
                          {"uid", uid},
                          {"resourceVersion", meta.value("resourceVersion", "")}}},
                        {"reason", reason},
                        {"message", message},
                        {"type", type},
                        {"source", {{"component", component_}}},
                        {"reportingComponent", component_},
                        {"reportingInstance", instance_},
                        {"firstTimestamp", seen.first_timestamp},
                        {"lastTimestamp", now},
                        {"count", seen.count}});
  } catch (const std::exception& e) {
    spdlog::warn("recording event {} on {}/{} failed: {}", reason, ns, name, e.what());
  }
}

}  // namespace controller
