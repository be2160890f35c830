// The fake API server's etcd: objects by resource and namespace/name, one global revision that
// every write bumps (the resourceVersion), the history of writes that watches replay, and the
// watchers that are told about each write. Thread-safe; lock() holds the store for a
// read-modify-write sequence (the lock is recursive, so the methods may be called under it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace fakeapi {

struct WatchEvent {
  uint64_t revision = 0;
  std::string storage_key;  // ResourceType::storage_key(): "apps/deployments"
  std::string type;         // ADDED, MODIFIED, DELETED
  nlohmann::json object;    // the object after the write (for DELETED: as it was last)
  nlohmann::json previous;  // the object before the write; null for ADDED
};

class ObjectStore {
 public:
  using Watcher = std::function<void(const WatchEvent&)>;
  // Object keys are "namespace/name" ("/name" for cluster-scoped objects), so iteration order
  // is etcd's key order.
  static std::string object_key(const std::string& ns, const std::string& name) {
    return ns + "/" + name;
  }

  std::unique_lock<std::recursive_mutex> lock() const {
    return std::unique_lock<std::recursive_mutex>(mutex_);
  }

  uint64_t revision() const;
  // The oldest revision a watch or an exact list may start from.
  uint64_t compacted_revision() const;
  // Reserves the next revision; callers then write the object with it.
  uint64_t next_revision();

  std::optional<nlohmann::json> get(const std::string& storage_key, const std::string& ns,
                                    const std::string& name) const;
  // ns "" lists all namespaces. Sorted by object key.
  std::vector<nlohmann::json> list(const std::string& storage_key, const std::string& ns) const;
  // The objects as they were at `revision` (which must be >= compacted_revision()).
  std::vector<nlohmann::json> list_at(const std::string& storage_key, const std::string& ns,
                                      uint64_t revision) const;
  // All objects of every resource (for garbage collection), as (storage_key, object).
  std::vector<std::pair<std::string, nlohmann::json>> all() const;
  // Calls fn(storage_key, object) for every object without copying (under the lock; fn must
  // not write to the store).
  void visit(const std::function<void(const std::string&, const nlohmann::json&)>& fn) const;

  // Stores `object` (whose metadata.resourceVersion the caller set to `revision`) and tells the
  // watchers. `type` is ADDED or MODIFIED.
  void write(const std::string& storage_key, const std::string& type, const nlohmann::json& object,
             uint64_t revision);
  // Removes the object; `last` (with resourceVersion `revision`) is what DELETED carries.
  void erase(const std::string& storage_key, const nlohmann::json& last, uint64_t revision);

  // Forgets the history up to now: older revisions get 410 Gone.
  void compact();
  // The events of storage_key after `revision`, or nothing when they were compacted away.
  std::optional<std::vector<WatchEvent>> events_since(const std::string& storage_key,
                                                      uint64_t revision) const;

  uint64_t add_watcher(const std::string& storage_key, Watcher w);
  void remove_watcher(uint64_t id);

 private:
  using Objects = std::map<std::string, std::map<std::string, nlohmann::json>>;
  void record(WatchEvent ev);

  mutable std::recursive_mutex mutex_;
  uint64_t revision_ = 1;
  uint64_t compacted_ = 1;
  Objects objects_;
  Objects base_;  // the objects at compacted_; history_ replays onto it
  std::vector<WatchEvent> history_;
  uint64_t next_watcher_ = 1;
  std::map<uint64_t, std::pair<std::string, Watcher>> watchers_;
};

}  // namespace fakeapi
