#include "list_types.h"

namespace fakeapi {
namespace {

using nlohmann::json;

// The schema node at `path` below a CRD's root schema (null when the schema does not say).
json schema_at(const json& root, const std::vector<std::string>& path) {
  json node = root;
  for (const auto& field : path) {
    if (!node.is_object()) return json();
    if (node.value("type", "") == "array") node = node.value("items", json());
    if (!node.is_object()) return json();
    json props = node.value("properties", json::object());
    if (props.contains(field)) {
      node = props[field];
    } else if (node.contains("additionalProperties") && node["additionalProperties"].is_object()) {
      node = node["additionalProperties"];
    } else {
      return json();
    }
  }
  return node;
}

ListType keyed(std::vector<std::string> keys, std::string merge_key = "") {
  ListType t{ListType::kMap, std::move(keys), std::move(merge_key)};
  if (t.merge_key.empty()) t.merge_key = t.keys.front();
  return t;
}

}  // namespace

ListType list_type(const ResourceType& type, const std::vector<std::string>& path) {
  if (path.empty()) return {};
  const std::string& field = path.back();
  const std::string parent = path.size() >= 2 ? path[path.size() - 2] : "";
  if (path.size() == 2 && parent == "metadata") {
    if (field == "finalizers") return {ListType::kSet, {}, ""};
    if (field == "ownerReferences") return keyed({"uid"});
    return {};
  }
  if (type.is_custom()) {
    const json node = schema_at(type.schema, path);
    if (!node.is_object()) return {};
    const std::string list_kind = node.value("x-kubernetes-list-type", "");
    if (list_kind == "set") return {ListType::kSet, {}, ""};
    if (list_kind == "map") {
      std::vector<std::string> keys;
      for (const auto& k : node.value("x-kubernetes-list-map-keys", json::array())) {
        if (k.is_string()) keys.push_back(k.get<std::string>());
      }
      if (!keys.empty()) return keyed(keys);
    }
    return {};
  }
  if (field == "containers" || field == "initContainers" || field == "ephemeralContainers" ||
      field == "volumes" || field == "env" || field == "imagePullSecrets" ||
      field == "resourceClaims" || field == "schedulingGates") {
    return keyed({"name"});
  }
  if (field == "volumeMounts") return keyed({"mountPath"});
  if (field == "volumeDevices") return keyed({"devicePath"});
  if (field == "conditions") return keyed({"type"});
  if (field == "hostAliases") return keyed({"ip"});
  if (field == "topologySpreadConstraints") return keyed({"topologyKey", "whenUnsatisfiable"});
  if (field == "ports") {
    if (type.kind == "Service") return keyed({"port", "protocol"}, "port");
    if (parent == "containers" || parent == "initContainers" || parent == "ephemeralContainers") {
      return keyed({"containerPort", "protocol"}, "containerPort");
    }
  }
  if (field == "finalizers" && type.kind == "Namespace") return {ListType::kSet, {}, ""};
  return {};
}

bool atomic_object(const ResourceType& type, const std::vector<std::string>& path) {
  if (type.is_custom()) {
    const json node = schema_at(type.schema, path);
    return node.is_object() && node.value("x-kubernetes-map-type", "") == "atomic";
  }
  // Workloads' and PDBs' spec.selector is a LabelSelector, which is atomic.
  return path.size() == 2 && path[0] == "spec" && path[1] == "selector" && type.kind != "Service";
}

}  // namespace fakeapi
