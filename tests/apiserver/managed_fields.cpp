#include "managed_fields.h"

#include <algorithm>
#include <map>

#include "list_types.h"

namespace fakeapi {
namespace {

using nlohmann::json;

struct Entry {
  json meta;  // everything but fieldsV1
  FieldSet fields;

  std::string manager() const { return meta.value("manager", ""); }
  std::string operation() const { return meta.value("operation", ""); }
  std::string subresource() const { return meta.value("subresource", ""); }
  bool is(const std::string& m, const std::string& op, const std::string& sub) const {
    return manager() == m && operation() == op && subresource() == sub;
  }
};

std::vector<Entry> read_entries(const json& obj) {
  std::vector<Entry> out;
  const json meta = obj.is_object() ? obj.value("metadata", json::object()) : json::object();
  for (const auto& e : meta.value("managedFields", json::array())) {
    if (!e.is_object()) continue;
    Entry entry{e, from_fields_v1(e.value("fieldsV1", json::object()))};
    entry.meta.erase("fieldsV1");
    out.push_back(std::move(entry));
  }
  return out;
}

void write_entries(json& obj, const std::vector<Entry>& entries) {
  json list = json::array();
  for (const auto& e : entries) {
    if (e.fields.empty()) continue;
    json j = e.meta;
    j["fieldsType"] = "FieldsV1";
    j["fieldsV1"] = to_fields_v1(e.fields);
    list.push_back(std::move(j));
  }
  if (list.empty()) {
    obj["metadata"].erase("managedFields");
  } else {
    obj["metadata"]["managedFields"] = std::move(list);
  }
}

// Takes the entry (manager, operation, subresource) out of `entries`, or makes a new one.
Entry take_entry(std::vector<Entry>& entries, const std::string& manager, const std::string& op,
                 const std::string& sub, const std::string& api_version) {
  auto it = std::find_if(entries.begin(), entries.end(),
                         [&](const Entry& e) { return e.is(manager, op, sub); });
  Entry e;
  if (it != entries.end()) {
    e = std::move(*it);
    entries.erase(it);
  }
  e.meta = json{{"manager", manager}, {"operation", op}, {"apiVersion", api_version}};
  if (!sub.empty()) e.meta["subresource"] = sub;
  return e;
}

// Keeps only the fields a subresource write may touch: status for /status, all but status for
// the main resource of a type with a status subresource.
FieldSet scope(const ResourceType& type, const FieldSet& set, const std::string& sub) {
  FieldSet out;
  for (const auto& p : set) {
    const bool status = !p.empty() && p[0] == "f:status";
    if (sub == "status" && !status) continue;
    if (sub.empty() && type.has_status && status) continue;
    out.insert(p);
  }
  return out;
}

json merge_applied(const ResourceType& type, const json& live, const json& config,
                   std::vector<std::string>& path) {
  if (config.is_object() && !(path.size() > 0 && atomic_object(type, path))) {
    json out = live.is_object() ? live : json::object();
    for (const auto& [key, value] : config.items()) {
      path.push_back(key);
      out[key] = merge_applied(type, out.contains(key) ? out[key] : json(), value, path);
      path.pop_back();
    }
    return out;
  }
  if (config.is_array() && live.is_array()) {
    const ListType lt = list_type(type, path);
    if (lt.kind == ListType::kSet) {
      json out = live;
      for (const auto& v : config) {
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
      }
      return out;
    }
    if (lt.kind == ListType::kMap) {
      json out = live;
      for (const auto& item : config) {
        auto it = std::find_if(out.begin(), out.end(), [&](const json& o) {
          return std::all_of(lt.keys.begin(), lt.keys.end(), [&](const std::string& k) {
            return o.value(k, json()) == item.value(k, json());
          });
        });
        if (it != out.end()) {
          *it = merge_applied(type, *it, item, path);
        } else {
          out.push_back(item);
        }
      }
      return out;
    }
  }
  return config;
}

std::string manager_label(const Entry& e) {
  std::string out = "\"" + e.manager() + "\"";
  if (e.operation() != "Apply") out += " using " + e.meta.value("apiVersion", "");
  return out;
}

}  // namespace

void record_update(const ResourceType& type, const json& before, json& after,
                   const std::string& manager, const std::string& subresource,
                   const std::string& time) {
  std::vector<Entry> entries = read_entries(before);
  const FieldDiff diff = diff_fields(type, before, after);
  const FieldSet changed = scope(type, diff.changed, subresource);
  for (auto& e : entries) {
    e.fields = set_difference(set_difference(e.fields, changed), diff.removed);
  }
  Entry mine = take_entry(entries, manager, "Update", subresource, after.value("apiVersion", ""));
  mine.meta["time"] = time;
  mine.fields = set_union(mine.fields, changed);
  entries.push_back(std::move(mine));
  write_entries(after, entries);
}

ApplyResult server_side_apply(const ResourceType& type, const json& live, const json& config,
                              const std::string& manager, const std::string& subresource,
                              bool force, const std::string& time) {
  std::vector<Entry> entries = read_entries(live);
  const FieldSet applied = scope(type, applied_fields(type, config), subresource);
  std::vector<std::string> path;
  json base = live.is_object() ? live : json::object();
  json merged = merge_applied(type, base, config, path);

  ApplyResult result;
  for (auto& e : entries) {
    if (e.is(manager, "Apply", subresource)) continue;
    for (const auto& p : applied) {
      if (!e.fields.count(p) || has_descendant(applied, p)) continue;
      const json* before = value_at(type, base, p);
      const json* after = value_at(type, merged, p);
      const bool same = before != nullptr && after != nullptr && *before == *after;
      if (!same) result.conflicts.push_back({manager_label(e), p});
    }
  }
  if (!result.conflicts.empty() && !force) return result;
  if (force) {
    for (const auto& c : result.conflicts) {
      for (auto& e : entries) {
        if (manager_label(e) == c.manager) e.fields.erase(c.path);
      }
    }
  }
  result.conflicts.clear();

  Entry mine = take_entry(entries, manager, "Apply", subresource, config.value("apiVersion", ""));
  // Fields this manager applied before but not now go away unless someone else owns them.
  // The shallowest such paths go first (a list item before its key fields, which find it).
  const FieldSet dropped = set_difference(mine.fields, applied);
  std::vector<FieldPath> removed;
  for (const auto& p : dropped) {
    const bool below_removed = std::any_of(removed.begin(), removed.end(), [&](const FieldPath& r) {
      return p.size() > r.size() && std::equal(r.begin(), r.end(), p.begin());
    });
    if (below_removed || applied.count(p) > 0 || has_descendant(applied, p)) continue;
    const bool owned = std::any_of(entries.begin(), entries.end(), [&](const Entry& e) {
      return e.fields.count(p) > 0 || has_descendant(e.fields, p);
    });
    if (owned) continue;
    remove_at(type, merged, p);
    removed.push_back(p);
  }
  mine.fields = applied;
  mine.meta["time"] = time;
  entries.push_back(std::move(mine));
  // Other managers keep only what still exists.
  for (auto& e : entries) {
    FieldSet kept;
    for (const auto& p : e.fields) {
      if (value_at(type, merged, p) != nullptr) kept.insert(p);
    }
    e.fields = std::move(kept);
  }
  write_entries(merged, entries);
  result.object = std::move(merged);
  return result;
}

std::string conflict_message(const std::vector<ApplyConflict>& conflicts) {
  const size_t n = conflicts.size();
  std::string body;
  if (n == 1) {
    body = "conflict with " + conflicts[0].manager + ": " + display_path(conflicts[0].path);
  } else {
    std::map<std::string, std::vector<std::string>> by_manager;
    for (const auto& c : conflicts) by_manager[c.manager].push_back(display_path(c.path));
    std::vector<std::string> messages;
    for (const auto& [m, paths] : by_manager) {
      std::string msg = "conflicts with " + m;
      for (const auto& p : paths) msg += "\n- " + p;
      messages.push_back(msg);
    }
    std::sort(messages.begin(), messages.end());
    for (const auto& m : messages) body += (body.empty() ? "" : "\n") + m;
  }
  return "Apply failed with " + std::to_string(n) + " conflict" + (n == 1 ? "" : "s") + ": " + body;
}

std::vector<Cause> conflict_causes(const std::vector<ApplyConflict>& conflicts) {
  std::vector<Cause> out;
  for (const auto& c : conflicts) {
    out.push_back({"FieldManagerConflict", "conflict with " + c.manager, display_path(c.path)});
  }
  return out;
}

}  // namespace fakeapi
