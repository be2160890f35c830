#include "controller/leader_election.h"

#include <spdlog/spdlog.h>

#include <ctime>

namespace controller {

using nlohmann::json;

namespace {

// metav1.MicroTime: RFC 3339 with microseconds, UTC.
std::string micro_time_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%06ldZ", static_cast<long>(micros));
  return text;
}

}  // namespace

LeaderElector::LeaderElector(kube::ApiClient& client, LeaderElectionConfig config)
    : client_(client), config_(std::move(config)) {}

bool LeaderElector::sleep(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  return !cv_.wait_for(lock, duration, [this] { return stopping_.load(); });
}

void LeaderElector::stop() {
  stopping_ = true;
  cv_.notify_all();
}

bool LeaderElector::try_acquire_or_renew() {
  using kube::resource_types::kLease;
  const std::string now = micro_time_now();
  const int duration = static_cast<int>(config_.lease_duration.count());
  json lease;
  try {
    lease = client_.get(kLease, config_.ns, config_.name);
  } catch (const kube::ApiError& e) {
    if (!e.not_found()) throw;
    client_.create(kLease, json{{"apiVersion", "coordination.k8s.io/v1"},
                                {"kind", "Lease"},
                                {"metadata", {{"name", config_.name}, {"namespace", config_.ns}}},
                                {"spec",
                                 {{"holderIdentity", config_.identity},
                                  {"leaseDurationSeconds", duration},
                                  {"acquireTime", now},
                                  {"renewTime", now},
                                  {"leaseTransitions", 0}}}});
    observed_holder_ = config_.identity;
    observed_at_ = std::chrono::steady_clock::now();
    return true;
  }
  json& spec = lease["spec"];
  if (!spec.is_object()) spec = json::object();
  const std::string holder = spec.value("holderIdentity", "");
  const std::string renew_time = spec.value("renewTime", "");
  const auto clock_now = std::chrono::steady_clock::now();
  if (holder != observed_holder_ || renew_time != observed_renew_time_) {
    observed_holder_ = holder;
    observed_renew_time_ = renew_time;
    observed_at_ = clock_now;
  }
  const auto held_for = std::chrono::seconds(spec.value("leaseDurationSeconds", duration));
  const bool mine = holder == config_.identity;
  if (!mine && !holder.empty() && clock_now < observed_at_ + held_for) return false;

  if (!mine) {
    spec["acquireTime"] = now;
    spec["leaseTransitions"] = spec.value("leaseTransitions", 0) + (holder.empty() ? 0 : 1);
  }
  spec["holderIdentity"] = config_.identity;
  spec["leaseDurationSeconds"] = duration;
  spec["renewTime"] = now;
  // The PUT carries the resourceVersion we read: if another candidate wrote in between, ours
  // fails with 409 and that candidate wins.
  client_.replace(kLease, lease);
  observed_holder_ = config_.identity;
  observed_renew_time_ = now;
  observed_at_ = clock_now;
  return true;
}

bool LeaderElector::acquire() {
  spdlog::info("waiting to lead: lease {}/{} as {}", config_.ns, config_.name, config_.identity);
  while (!stopping_) {
    try {
      if (try_acquire_or_renew()) {
        leading_ = true;
        spdlog::info("became the leader (lease {}/{})", config_.ns, config_.name);
        return true;
      }
    } catch (const kube::ApiError& e) {
      if (!e.conflict()) spdlog::warn("leader election: {}", e.what());
    } catch (const std::exception& e) {
      spdlog::warn("leader election: {}", e.what());
    }
    if (!sleep(config_.retry_period)) break;
  }
  return false;
}

void LeaderElector::hold() {
  auto last_renewal = std::chrono::steady_clock::now();
  while (sleep(config_.retry_period)) {
    bool renewed = false;
    try {
      renewed = try_acquire_or_renew();
    } catch (const std::exception& e) {
      spdlog::warn("renewing the leader lease failed: {}", e.what());
    }
    const auto now = std::chrono::steady_clock::now();
    if (renewed) {
      last_renewal = now;
    } else if (now - last_renewal > config_.renew_deadline) {
      leading_ = false;
      spdlog::error("lost the leader lease {}/{}", config_.ns, config_.name);
      return;
    }
  }
  release();
}

void LeaderElector::release() {
  if (!leading_.exchange(false)) return;
  try {
    json lease = client_.get(kube::resource_types::kLease, config_.ns, config_.name);
    if (lease["spec"].value("holderIdentity", "") != config_.identity) return;
    // Releasing as client-go does: no holder, and a lease that is already expired.
    lease["spec"]["holderIdentity"] = "";
    lease["spec"]["leaseDurationSeconds"] = 1;
    lease["spec"]["renewTime"] = micro_time_now();
    client_.replace(kube::resource_types::kLease, lease);
    spdlog::info("released the leader lease {}/{}", config_.ns, config_.name);
  } catch (const std::exception& e) {
    spdlog::warn("releasing the leader lease failed: {}", e.what());
  }
}

}  // namespace controller
