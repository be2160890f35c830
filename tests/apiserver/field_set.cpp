#include "field_set.h"

#include <algorithm>
#include <map>

#include "list_types.h"

namespace fakeapi {
namespace {

using nlohmann::json;

// Fields the server maintains itself: never owned by a manager.
bool ignored(const FieldPath& p) {
  if (p.size() == 1) return p[0] == "f:apiVersion" || p[0] == "f:kind";
  if (p.size() == 2 && p[0] == "f:metadata") {
    static const std::set<std::string> kServerFields = {"f:name",
                                                        "f:namespace",
                                                        "f:uid",
                                                        "f:resourceVersion",
                                                        "f:generation",
                                                        "f:creationTimestamp",
                                                        "f:managedFields",
                                                        "f:deletionTimestamp",
                                                        "f:deletionGracePeriodSeconds",
                                                        "f:selfLink"};
    return kServerFields.count(p[1]) > 0;
  }
  return false;
}

void fields_v1_walk(const json& node, FieldPath& path, FieldSet& out) {
  if (!node.is_object()) return;
  for (const auto& [key, child] : node.items()) {
    if (key == ".") continue;
    path.push_back(key);
    if (child.is_object() && (child.empty() || child.contains("."))) out.insert(path);
    fields_v1_walk(child, path, out);
    path.pop_back();
  }
}

// Schema-level path for list_types(): field names only.
std::vector<std::string> names_of(const FieldPath& p) {
  std::vector<std::string> out;
  for (const auto& e : p) {
    if (e.starts_with("f:")) out.push_back(e.substr(2));
  }
  return out;
}

std::string item_key(const json& item, const ListType& lt) {
  json k = json::object();
  for (const auto& name : lt.keys) {
    if (item.is_object() && item.contains(name)) k[name] = item[name];
  }
  return "k:" + k.dump();
}

// Whether a new object at `path` is itself a member of an Update's field set. Custom resources
// are schemaless maps to the field manager: every object counts. Built-in types are Go structs,
// and only their map-typed fields (labels, data, selectors, resource lists) count.
bool object_is_member(const ResourceType& type, const FieldPath& path) {
  if (path.size() == 1 && path[0] == "f:metadata") return false;
  if (type.is_custom()) return true;
  // Maps, and struct fields that are pointers in Go (their presence is a value of its own).
  static const std::set<std::string> kMemberFields = {
      "f:labels",        "f:annotations",    "f:matchLabels",   "f:data",
      "f:binaryData",    "f:stringData",     "f:nodeSelector",  "f:limits",
      "f:requests",      "f:conversion",     "f:rollingUpdate", "f:securityContext",
      "f:emptyDir",      "f:configMap",      "f:secret",        "f:persistentVolumeClaim",
      "f:livenessProbe", "f:readinessProbe", "f:startupProbe",  "f:httpGet",
      "f:exec",          "f:tcpSocket",      "f:grpc",          "f:sessionAffinityConfig"};
  if (path.back() == "f:selector") return type.kind == "Service";
  return kMemberFields.count(path.back()) > 0;
}

struct Walker {
  const ResourceType& type;
  bool apply;
  FieldSet changed;
  FieldSet removed;

  void all_of(const json& v, FieldPath& path, FieldSet& out) {
    if (!ignored(path)) out.insert(path);
    walk(json(), v, path, &out);
  }

  // Children of `before`/`after` at `path`; `sink` set: everything under `after` goes there
  // (used for removed subtrees and for apply).
  void walk(const json& before, const json& after, FieldPath& path, FieldSet* sink = nullptr) {
    FieldSet& out = sink != nullptr ? *sink : changed;
    const auto names = names_of(path);
    if (after.is_object() && !(path.size() > 0 && atomic_object(type, names))) {
      for (const auto& [key, child] : after.items()) {
        path.push_back("f:" + key);
        const json prev = before.is_object() && before.contains(key) ? before[key] : json();
        const bool absent = !(before.is_object() && before.contains(key));
        const bool container =
            child.is_object() && !child.empty() && !atomic_object(type, names_of(path));
        const bool keyed_list =
            child.is_array() && list_type(type, names_of(path)).kind != ListType::kAtomic;
        if (!ignored(path)) {
          if (apply) {
            if (!container && !keyed_list) out.insert(path);
          } else if (container) {
            if (absent && object_is_member(type, path)) out.insert(path);
          } else if (keyed_list) {
            if (absent && type.is_custom()) out.insert(path);
          } else if (absent || prev != child) {
            out.insert(path);
          }
        }
        if (container || keyed_list) walk(prev, child, path, sink);
        path.pop_back();
      }
      if (!apply && sink == nullptr && before.is_object()) {
        for (const auto& [key, child] : before.items()) {
          if (after.contains(key)) continue;
          path.push_back("f:" + key);
          if (!ignored(path)) all_of(child, path, removed);
          path.pop_back();
        }
      }
      return;
    }
    if (after.is_array()) {
      const ListType lt = list_type(type, names);
      if (lt.kind == ListType::kAtomic) return;
      std::map<std::string, json> old_items;
      if (before.is_array()) {
        for (const auto& item : before) {
          old_items[lt.kind == ListType::kMap ? item_key(item, lt) : "v:" + item.dump()] = item;
        }
      }
      std::set<std::string> seen;
      for (const auto& item : after) {
        const std::string elem =
            lt.kind == ListType::kMap ? item_key(item, lt) : "v:" + item.dump();
        seen.insert(elem);
        path.push_back(elem);
        auto old = old_items.find(elem);
        if (apply || old == old_items.end()) out.insert(path);
        if (lt.kind == ListType::kMap) {
          walk(old == old_items.end() ? json() : old->second, item, path, sink);
        }
        path.pop_back();
      }
      if (!apply && sink == nullptr) {
        for (const auto& [elem, item] : old_items) {
          if (seen.count(elem)) continue;
          path.push_back(elem);
          all_of(lt.kind == ListType::kMap ? item : json(), path, removed);
          path.pop_back();
        }
      }
    }
  }
};

// Finds the list item a "k:" or "v:" element names.
json::iterator find_item(const ResourceType& type, json& list, const FieldPath& list_path,
                         const std::string& elem) {
  const ListType lt = list_type(type, names_of(list_path));
  return std::find_if(list.begin(), list.end(), [&](const json& item) {
    return elem.starts_with("k:") ? item_key(item, lt) == elem : "v:" + item.dump() == elem;
  });
}

}  // namespace

FieldSet from_fields_v1(const json& fields) {
  FieldSet out;
  FieldPath path;
  fields_v1_walk(fields, path, out);
  return out;
}

json to_fields_v1(const FieldSet& set) {
  json root = json::object();
  for (const auto& p : set) {
    json* node = &root;
    for (const auto& e : p) {
      if (!node->contains(e)) (*node)[e] = json::object();
      node = &(*node)[e];
    }
  }
  for (const auto& p : set) {
    if (!has_descendant(set, p)) continue;
    json* node = &root;
    for (const auto& e : p) node = &(*node)[e];
    (*node)["."] = json::object();
  }
  return root;
}

FieldSet set_union(const FieldSet& a, const FieldSet& b) {
  FieldSet out = a;
  out.insert(b.begin(), b.end());
  return out;
}

FieldSet set_difference(const FieldSet& a, const FieldSet& b) {
  FieldSet out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

bool has_descendant(const FieldSet& set, const FieldPath& p) {
  auto it = set.upper_bound(p);
  return it != set.end() && it->size() > p.size() && std::equal(p.begin(), p.end(), it->begin());
}

FieldSet applied_fields(const ResourceType& type, const json& config) {
  Walker w{type, true, {}, {}};
  FieldPath path;
  w.walk(json(), config, path);
  return w.changed;
}

FieldDiff diff_fields(const ResourceType& type, const json& before, const json& after) {
  Walker w{type, false, {}, {}};
  FieldPath path;
  w.walk(before, after, path);
  return {std::move(w.changed), std::move(w.removed)};
}

const json* value_at(const ResourceType& type, const json& obj, const FieldPath& p) {
  const json* cur = &obj;
  FieldPath so_far;
  for (const auto& e : p) {
    if (e.starts_with("f:")) {
      const std::string key = e.substr(2);
      if (!cur->is_object() || !cur->contains(key)) return nullptr;
      cur = &(*cur)[key];
    } else {
      if (!cur->is_array()) return nullptr;
      json& list = const_cast<json&>(*cur);
      auto it = find_item(type, list, so_far, e);
      if (it == list.end()) return nullptr;
      cur = &*it;
    }
    so_far.push_back(e);
  }
  return cur;
}

void remove_at(const ResourceType& type, json& obj, const FieldPath& p) {
  if (p.empty()) return;
  FieldPath parent_path(p.begin(), p.end() - 1);
  json* parent = const_cast<json*>(value_at(type, obj, parent_path));
  if (parent == nullptr) return;
  const std::string& e = p.back();
  if (e.starts_with("f:")) {
    if (parent->is_object()) parent->erase(e.substr(2));
  } else if (parent->is_array()) {
    auto it = find_item(type, *parent, parent_path, e);
    if (it != parent->end()) parent->erase(it);
  }
}

std::string display_path(const FieldPath& p) {
  std::string out;
  for (const auto& e : p) {
    if (e.starts_with("f:")) {
      out += "." + e.substr(2);
    } else if (e.starts_with("k:")) {
      const json k = json::parse(e.substr(2), nullptr, false);
      std::string inner;
      if (k.is_object()) {
        for (const auto& [name, v] : k.items()) {
          inner += (inner.empty() ? "" : ",") + name + "=" + v.dump();
        }
      }
      out += "[" + inner + "]";
    } else {
      out += "[" + e.substr(2) + "]";
    }
  }
  return out;
}

}  // namespace fakeapi
