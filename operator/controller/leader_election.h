// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does, so
// several operator replicas can run and exactly one reconciles. A candidate takes the lease when
// its holder has not renewed it for leaseDurationSeconds, measured on the candidate's own clock
// from when it last saw the record change (clocks of different nodes are never compared).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include "kube/api_client.h"

namespace controller {

struct LeaderElectionConfig {
  std::string ns;
  std::string name = "mistral-operator";
  std::string identity;  // unique per process: pod name plus a random suffix
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds renew_deadline{10};
  std::chrono::seconds retry_period{2};
};

class LeaderElector {
 public:
  LeaderElector(kube::ApiClient& client, LeaderElectionConfig config);

  // Blocks until this process holds the lease (true) or stop() was called (false).
  bool acquire();
  // Renews every retry period while leading. Returns when a renewal has failed for longer than
  // the renew deadline (leadership lost: the caller must stop reconciling at once) or on stop();
  // after stop() the lease is released so another replica takes over without waiting.
  void hold();
  void stop();
  bool leading() const { return leading_.load(); }

 private:
  // One attempt to take or renew the lease; true when this process holds it afterwards.
  bool try_acquire_or_renew();
  void release();
  bool sleep(std::chrono::milliseconds duration);

  kube::ApiClient& client_;
  const LeaderElectionConfig config_;
  std::atomic<bool> leading_{false};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  // What we last saw of the lease, and when on our clock it last changed.
  std::string observed_holder_;
  std::string observed_renew_time_;
  std::chrono::steady_clock::time_point observed_at_{};
};

}  // namespace controller
