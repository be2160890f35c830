// What deletion sets in motion, done synchronously after each write: objects whose finalizers
// are gone disappear, Foreground owners wait for their dependents, Orphan owners strip their
// ownerReferences from dependents, dependents of vanished owners are deleted (the
// kube-controller-manager's garbage collector), and deleting a namespace or a CRD deletes
// what is in it.
#include <algorithm>
#include <map>
#include <set>

#include "object_util.h"
#include "resource_verbs.h"

namespace fakeapi {
namespace {

using nlohmann::json;

constexpr const char* kCrdKey = "apiextensions.k8s.io/customresourcedefinitions";
constexpr const char* kNamespaceKey = "/namespaces";

bool has_finalizer(const json& obj, const std::string& f) {
  const json& list = meta_field(obj, "finalizers");
  return list.is_array() && std::find(list.begin(), list.end(), f) != list.end();
}

void drop_finalizer(json& obj, const std::string& f) {
  json& list = obj["metadata"]["finalizers"];
  list.erase(std::remove(list.begin(), list.end(), json(f)), list.end());
  if (list.empty()) obj["metadata"].erase("finalizers");
}

// Writes a change the server makes itself (no managed fields).
void system_write(ObjectStore& store, const std::string& key, json obj) {
  const uint64_t rv = store.next_revision();
  obj["metadata"]["resourceVersion"] = std::to_string(rv);
  store.write(key, "MODIFIED", obj, rv);
}

std::vector<std::string> owner_uids(const json& obj) {
  std::vector<std::string> out;
  const json& refs = meta_field(obj, "ownerReferences");
  if (refs.is_array()) {
    for (const auto& r : refs) out.push_back(r.value("uid", ""));
  }
  return out;
}

}  // namespace

json Verbs::delete_object(ApiCore& core, const ResourceType& type, json obj,
                          const std::string& propagation) {
  ObjectStore& store = core.store();
  const std::string key = type.storage_key();
  json& meta = obj["metadata"];
  const bool already = meta.contains("deletionTimestamp");
  const char* policy_finalizer = propagation == "Orphan"       ? "orphan"
                                 : propagation == "Foreground" ? "foregroundDeletion"
                                                               : nullptr;
  bool has_dependents = false;
  const std::string uid = meta.value("uid", "");
  store.visit([&](const std::string&, const json& other) {
    if (has_dependents) return;
    const auto owners = owner_uids(other);
    has_dependents = std::find(owners.begin(), owners.end(), uid) != owners.end();
  });
  if (policy_finalizer != nullptr && has_dependents && !has_finalizer(obj, policy_finalizer)) {
    if (!meta.contains("finalizers")) meta["finalizers"] = json::array();
    meta["finalizers"].push_back(policy_finalizer);
  }
  const bool keep = meta.contains("finalizers") && !meta["finalizers"].empty();
  if (keep) {
    if (!already) {
      meta["deletionTimestamp"] = now_rfc3339();
      meta["deletionGracePeriodSeconds"] = 0;
      if (type.tracks_generation) meta["generation"] = meta.value("generation", 0) + 1;
    }
    system_write(store, key, obj);
    return obj;
  }
  const uint64_t rv = store.next_revision();
  meta["resourceVersion"] = std::to_string(rv);
  store.erase(key, obj, rv);

  if (key == kCrdKey) {
    const json& spec = obj["spec"];
    const std::string cr_key =
        spec.value("group", "") + "/" + spec.value("names", json::object()).value("plural", "");
    for (const auto& cr : store.list(cr_key, "")) {
      const uint64_t crv = store.next_revision();
      json last = cr;
      last["metadata"]["resourceVersion"] = std::to_string(crv);
      store.erase(cr_key, last, crv);
    }
    core.registry_.remove_crd(meta.value("name", ""));
  } else if (key == kNamespaceKey) {
    const std::string ns = meta.value("name", "");
    for (const auto& t : core.registry_.storage_types()) {
      if (!t->namespaced) continue;
      for (const auto& child : store.list(t->storage_key(), ns)) {
        delete_object(core, *t, child, "Background");
      }
    }
  }
  return obj;
}

void Verbs::collect_garbage(ApiCore& core) {
  ObjectStore& store = core.store();
  // Each round changes at least one object or stops; the bound guards against a cycle.
  for (int round = 0; round < 1000; ++round) {
    std::map<std::string, ResourceTypePtr> types;
    for (const auto& t : core.registry_.storage_types()) types[t->storage_key()] = t;
    // Only objects being deleted and objects with ownerReferences matter; the rest is not
    // copied (this runs after every write).
    std::set<std::string> uids;
    store.visit([&](const std::string&, const json& obj) { uids.insert(meta_string(obj, "uid")); });
    std::vector<std::pair<std::string, json>> all;
    std::map<std::string, std::vector<std::pair<std::string, json>>> dependents;
    std::set<std::string> deleting;
    store.visit([&](const std::string& key, const json& obj) {
      if (meta_field(obj, "deletionTimestamp").is_string()) {
        all.emplace_back(key, obj);
        deleting.insert(meta_string(obj, "uid"));
      }
    });
    store.visit([&](const std::string& key, const json& obj) {
      const auto owners = owner_uids(obj);
      if (owners.empty()) return;
      bool relevant = false;
      for (const auto& owner : owners) {
        if (!uids.count(owner)) relevant = true;
        if (deleting.count(owner)) {
          dependents[owner].push_back({key, obj});
          relevant = true;
        }
      }
      if (relevant && !meta_field(obj, "deletionTimestamp").is_string()) all.emplace_back(key, obj);
    });
    bool changed = false;
    for (const auto& [key, obj] : all) {
      auto type_it = types.find(key);
      if (type_it == types.end()) continue;
      const ResourceType& type = *type_it->second;
      const auto& deps = dependents[meta_string(obj, "uid")];
      if (meta_field(obj, "deletionTimestamp").is_string()) {
        json updated = obj;
        if (has_finalizer(obj, "orphan")) {
          for (const auto& [dkey, dep] : deps) {
            json d = dep;
            json& refs = d["metadata"]["ownerReferences"];
            refs.erase(std::remove_if(refs.begin(), refs.end(),
                                      [&](const json& r) {
                                        return r.value("uid", "") == meta_string(obj, "uid");
                                      }),
                       refs.end());
            if (refs.empty()) d["metadata"].erase("ownerReferences");
            system_write(store, dkey, d);
          }
          drop_finalizer(updated, "orphan");
        }
        if (has_finalizer(obj, "foregroundDeletion")) {
          bool waiting = false;
          for (const auto& [dkey, dep] : deps) {
            waiting = true;
            auto dt = types.find(dkey);
            if (dt != types.end() && !meta_field(dep, "deletionTimestamp").is_string()) {
              delete_object(core, *dt->second, dep, "Foreground");
              changed = true;
            }
          }
          if (!waiting) drop_finalizer(updated, "foregroundDeletion");
        }
        if (!updated.contains("/metadata/finalizers"_json_pointer)) {
          delete_object(core, type, updated, "Background");
          changed = true;
          break;
        }
        if (updated != obj) {
          system_write(store, key, updated);
          changed = true;
          break;
        }
        continue;
      }
      const auto owners = owner_uids(obj);
      if (owners.empty()) continue;
      const size_t alive = static_cast<size_t>(std::count_if(
          owners.begin(), owners.end(), [&](const std::string& u) { return uids.count(u) > 0; }));
      if (alive == 0) {
        delete_object(core, type, obj, "Background");
        changed = true;
        break;
      }
      if (alive < owners.size()) {
        json d = obj;
        json& refs = d["metadata"]["ownerReferences"];
        refs.erase(std::remove_if(refs.begin(), refs.end(),
                                  [&](const json& r) { return !uids.count(r.value("uid", "")); }),
                   refs.end());
        system_write(store, key, d);
        changed = true;
        break;
      }
    }
    if (!changed) return;
  }
}

}  // namespace fakeapi
