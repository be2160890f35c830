// An informer: a local cache of one resource type kept current by list-then-watch, as
// client-go's reflector does. The watch resumes from the last resourceVersion it saw (bookmarks
// included), relists when the server says that version is gone (410), and reconnects with
// backoff when the connection fails, so no change is missed. Every change calls the handler.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kube/api_client.h"

namespace controller {

using nlohmann::json;

class Informer {
 public:
  // Called on the informer's thread with the object as it is now (for a deletion: as it was last
  // seen), after the cache was updated.
  using Handler = std::function<void(const json& object)>;

  struct Counters {
    std::function<void()> watch_restarted;  // a watch had to be re-established
    std::function<void()> relisted;         // a full list, at start or after 410 Gone
  };

  Informer(kube::ApiClient& client, kube::ResourceType type, std::string ns,
           std::string label_selector, Handler handler, Counters counters = {});
  ~Informer();

  void start();
  void stop();
  // True once the first list is in the cache.
  bool synced() const { return synced_.load(); }
  // Waits up to `timeout` for synced().
  bool wait_synced(std::chrono::milliseconds timeout) const;

  std::optional<json> get(const std::string& ns, const std::string& name) const;
  // Every cached object, or those `keep` accepts.
  std::vector<json> list(const std::function<bool(const json&)>& keep = nullptr) const;
  size_t size() const;

 private:
  void run();
  // Lists everything and replaces the cache; returns the list's resourceVersion.
  std::string relist();
  // Watches from `resource_version` until the stream ends; returns the last version seen.
  std::string watch_from(std::string resource_version);
  void apply_event(const kube::WatchEvent& event);
  // Sleeps for the backoff (or until stop); false when stopping.
  bool back_off(std::chrono::milliseconds& delay);

  kube::ApiClient& client_;
  const kube::ResourceType type_;
  const std::string namespace_;
  const std::string label_selector_;
  const Handler handler_;
  const Counters counters_;

  mutable std::mutex mutex_;
  mutable std::condition_variable synced_cv_;
  std::map<std::string, json> cache_;  // "namespace/name" -> object without managedFields
  std::atomic<bool> synced_{false};

  std::atomic<bool> stopping_{false};
  std::mutex connection_mutex_;
  std::unique_ptr<http::Client> connection_;
  std::condition_variable stop_cv_;
  std::thread thread_;
};

// "namespace/name" of an object: the work-queue and cache key.
std::string object_key(const json& object);

}  // namespace controller
