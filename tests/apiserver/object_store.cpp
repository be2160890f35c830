#include "object_store.h"

namespace fakeapi {
namespace {

using nlohmann::json;

std::string key_of(const json& obj) {
  const json& meta = obj["metadata"];
  return ObjectStore::object_key(meta.value("namespace", ""), meta.value("name", ""));
}

bool in_namespace(const std::string& key, const std::string& ns) {
  return ns.empty() || key.compare(0, ns.size() + 1, ns + "/") == 0;
}

}  // namespace

uint64_t ObjectStore::revision() const {
  auto g = lock();
  return revision_;
}

uint64_t ObjectStore::compacted_revision() const {
  auto g = lock();
  return compacted_;
}

uint64_t ObjectStore::next_revision() {
  auto g = lock();
  return ++revision_;
}

std::optional<json> ObjectStore::get(const std::string& storage_key, const std::string& ns,
                                     const std::string& name) const {
  auto g = lock();
  auto r = objects_.find(storage_key);
  if (r == objects_.end()) return std::nullopt;
  auto o = r->second.find(object_key(ns, name));
  if (o == r->second.end()) return std::nullopt;
  return o->second;
}

std::vector<json> ObjectStore::list(const std::string& storage_key, const std::string& ns) const {
  auto g = lock();
  std::vector<json> out;
  auto r = objects_.find(storage_key);
  if (r == objects_.end()) return out;
  for (const auto& [key, obj] : r->second) {
    if (in_namespace(key, ns)) out.push_back(obj);
  }
  return out;
}

std::vector<json> ObjectStore::list_at(const std::string& storage_key, const std::string& ns,
                                       uint64_t revision) const {
  auto g = lock();
  std::map<std::string, json> state;
  if (auto b = base_.find(storage_key); b != base_.end()) state = b->second;
  for (const auto& ev : history_) {
    if (ev.revision > revision) break;
    if (ev.storage_key != storage_key) continue;
    if (ev.type == "DELETED") {
      state.erase(key_of(ev.object));
    } else {
      state[key_of(ev.object)] = ev.object;
    }
  }
  std::vector<json> out;
  for (const auto& [key, obj] : state) {
    if (in_namespace(key, ns)) out.push_back(obj);
  }
  return out;
}

std::vector<std::pair<std::string, json>> ObjectStore::all() const {
  auto g = lock();
  std::vector<std::pair<std::string, json>> out;
  for (const auto& [storage_key, objs] : objects_) {
    for (const auto& [key, obj] : objs) out.emplace_back(storage_key, obj);
  }
  return out;
}

void ObjectStore::visit(const std::function<void(const std::string&, const json&)>& fn) const {
  auto g = lock();
  for (const auto& [storage_key, objs] : objects_) {
    for (const auto& [key, obj] : objs) fn(storage_key, obj);
  }
}

void ObjectStore::write(const std::string& storage_key, const std::string& type, const json& object,
                        uint64_t revision) {
  auto g = lock();
  json& slot = objects_[storage_key][key_of(object)];
  json previous = slot.is_null() ? json() : slot;
  slot = object;
  record(WatchEvent{revision, storage_key, type, object, std::move(previous)});
}

void ObjectStore::erase(const std::string& storage_key, const json& last, uint64_t revision) {
  auto g = lock();
  auto r = objects_.find(storage_key);
  if (r == objects_.end()) return;
  auto o = r->second.find(key_of(last));
  if (o == r->second.end()) return;
  json previous = std::move(o->second);
  r->second.erase(o);
  record(WatchEvent{revision, storage_key, "DELETED", last, std::move(previous)});
}

void ObjectStore::record(WatchEvent ev) {
  history_.push_back(ev);
  // Copies first: a watcher may remove itself (or others) while being told.
  std::vector<Watcher> to_tell;
  for (const auto& [id, w] : watchers_) {
    if (w.first == ev.storage_key) to_tell.push_back(w.second);
  }
  for (const auto& w : to_tell) w(ev);
}

void ObjectStore::compact() {
  auto g = lock();
  base_ = objects_;
  history_.clear();
  compacted_ = revision_;
}

std::optional<std::vector<WatchEvent>> ObjectStore::events_since(const std::string& storage_key,
                                                                 uint64_t revision) const {
  auto g = lock();
  if (revision < compacted_) return std::nullopt;
  std::vector<WatchEvent> out;
  for (const auto& ev : history_) {
    if (ev.revision > revision && ev.storage_key == storage_key) out.push_back(ev);
  }
  return out;
}

uint64_t ObjectStore::add_watcher(const std::string& storage_key, Watcher w) {
  auto g = lock();
  const uint64_t id = next_watcher_++;
  watchers_.emplace(id, std::make_pair(storage_key, std::move(w)));
  return id;
}

void ObjectStore::remove_watcher(uint64_t id) {
  auto g = lock();
  watchers_.erase(id);
}

}  // namespace fakeapi
