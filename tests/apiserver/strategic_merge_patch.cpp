#include "strategic_merge_patch.h"

#include <algorithm>
#include <string>
#include <vector>

#include "list_types.h"

namespace fakeapi {
namespace {

using nlohmann::json;
using Path = std::vector<std::string>;

constexpr std::string_view kSetOrder = "$setElementOrder/";
constexpr std::string_view kDeleteFromList = "$deleteFromPrimitiveList/";

json merge_map(const ResourceType& type, const json& doc, const json& patch, Path& path);

bool same_key(const json& item, const json& probe, const std::string& key) {
  return item.is_object() && probe.is_object() && item.contains(key) && probe.contains(key) &&
         item[key] == probe[key];
}

json merge_list(const ResourceType& type, const json& doc, const json& patch, Path& path) {
  if (!patch.is_array()) throw PatchError("patch for list " + path.back() + " is not a list");
  const ListType lt = list_type(type, path);
  json out = doc.is_array() ? doc : json::array();
  if (lt.kind == ListType::kSet) {
    for (const auto& v : patch) {
      if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    }
    return out;
  }
  if (lt.kind != ListType::kMap) return patch;
  const std::string& key = lt.merge_key;
  for (const auto& item : patch) {
    if (item.is_object() && item.value("$patch", "") == "replace") {
      json replaced = json::array();
      for (const auto& other : patch) {
        if (!(other.is_object() && other.contains("$patch"))) replaced.push_back(other);
      }
      return replaced;
    }
  }
  for (const auto& item : patch) {
    if (!item.is_object() || !item.contains(key)) {
      throw PatchError("map: " + item.dump() + " does not contain declared merge key: " + key);
    }
    auto it =
        std::find_if(out.begin(), out.end(), [&](const json& o) { return same_key(o, item, key); });
    if (item.value("$patch", "") == "delete") {
      if (it != out.end()) out.erase(it);
      continue;
    }
    if (it != out.end()) {
      *it = merge_map(type, *it, item, path);
    } else {
      json fresh = merge_map(type, json::object(), item, path);
      out.push_back(std::move(fresh));
    }
  }
  return out;
}

// Orders `list` as `order` says (items it names first, in its order; the others after).
json reorder(const json& list, const json& order, const std::string& key) {
  if (!list.is_array() || !order.is_array()) return list;
  json out = json::array();
  std::vector<bool> used(list.size(), false);
  for (const auto& o : order) {
    for (size_t i = 0; i < list.size(); ++i) {
      const bool match = key.empty() ? list[i] == o : same_key(list[i], o, key);
      if (!used[i] && match) {
        out.push_back(list[i]);
        used[i] = true;
        break;
      }
    }
  }
  for (size_t i = 0; i < list.size(); ++i) {
    if (!used[i]) out.push_back(list[i]);
  }
  return out;
}

json merge_map(const ResourceType& type, const json& doc, const json& patch, Path& path) {
  if (!patch.is_object()) return patch;
  const std::string directive = patch.value("$patch", "");
  if (directive == "delete") return json();
  json out = doc.is_object() && directive != "replace" ? doc : json::object();
  for (const auto& [key, value] : patch.items()) {
    if (key == "$patch" || key == "$retainKeys" || key.starts_with(kSetOrder)) continue;
    if (key.starts_with(kDeleteFromList)) {
      const std::string field = key.substr(kDeleteFromList.size());
      if (out.contains(field) && out[field].is_array() && value.is_array()) {
        json kept = json::array();
        for (const auto& v : out[field]) {
          if (std::find(value.begin(), value.end(), v) == value.end()) kept.push_back(v);
        }
        out[field] = kept;
      }
      continue;
    }
    if (key.starts_with("$")) throw PatchError("unknown patch directive " + key);
    if (value.is_null()) {
      out.erase(key);
      continue;
    }
    path.push_back(key);
    const json current = out.contains(key) ? out[key] : json();
    if (value.is_array()) {
      out[key] = merge_list(type, current, value, path);
    } else if (value.is_object() && !atomic_object(type, path)) {
      json merged = merge_map(type, current, value, path);
      if (merged.is_null()) {
        out.erase(key);
      } else {
        out[key] = std::move(merged);
      }
    } else {
      out[key] = value;
    }
    path.pop_back();
  }
  for (const auto& [key, order] : patch.items()) {
    if (!key.starts_with(kSetOrder)) continue;
    const std::string field = key.substr(kSetOrder.size());
    path.push_back(field);
    const ListType lt = list_type(type, path);
    path.pop_back();
    if (out.contains(field)) {
      out[field] = reorder(out[field], order, lt.kind == ListType::kMap ? lt.merge_key : "");
    }
  }
  if (patch.contains("$retainKeys") && patch["$retainKeys"].is_array()) {
    const json& keep = patch["$retainKeys"];
    json kept = json::object();
    for (const auto& [key, value] : out.items()) {
      if (std::find(keep.begin(), keep.end(), key) != keep.end()) kept[key] = value;
    }
    out = std::move(kept);
  }
  return out;
}

}  // namespace

json apply_strategic_merge_patch(const ResourceType& type, const json& doc, const json& patch) {
  if (!patch.is_object()) throw PatchError("strategic merge patch must be a JSON object");
  Path path;
  return merge_map(type, doc, patch, path);
}

}  // namespace fakeapi
