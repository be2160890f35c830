#include "resource_registry.h"

#include <algorithm>

#include "openapi_schema.h"

namespace fakeapi {
namespace {

using nlohmann::json;

ResourceType builtin(std::string group, std::string version, std::string plural,
                     std::string singular, std::string kind, bool namespaced,
                     std::vector<std::string> short_names, std::vector<std::string> categories,
                     bool has_status = false, bool has_scale = false) {
  ResourceType t;
  t.group = std::move(group);
  t.version = std::move(version);
  t.plural = std::move(plural);
  t.singular = std::move(singular);
  t.list_kind = kind + "List";
  t.kind = std::move(kind);
  t.namespaced = namespaced;
  t.short_names = std::move(short_names);
  t.categories = std::move(categories);
  t.has_status = has_status;
  t.has_scale = has_scale;
  t.tracks_generation = has_status;
  return t;
}

std::vector<std::string> string_list(const json& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& s : v) {
      if (s.is_string()) out.push_back(s.get<std::string>());
    }
  }
  return out;
}

std::string string_at(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

ResourceRegistry::ResourceRegistry() {
  const std::vector<std::string> all{"all"};
  add(builtin("", "v1", "namespaces", "namespace", "Namespace", false, {"ns"}, {}, true));
  add(builtin("", "v1", "services", "service", "Service", true, {"svc"}, all, true));
  add(builtin("", "v1", "secrets", "secret", "Secret", true, {}, {}));
  add(builtin("", "v1", "configmaps", "configmap", "ConfigMap", true, {"cm"}, {}));
  add(builtin("", "v1", "events", "event", "Event", true, {"ev"}, {}));
  add(builtin("", "v1", "pods", "pod", "Pod", true, {"po"}, all, true));
  add(builtin("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, {"sa"}, {}));
  add(builtin("apps", "v1", "deployments", "deployment", "Deployment", true, {"deploy"}, all, true,
              true));
  add(builtin("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, {"rs"}, all, true,
              true));
  add(builtin("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget",
              true, {"pdb"}, {}, true));
  add(builtin("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, {}, {}));
  add(builtin("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", true,
              {}, {}));
  add(builtin("events.k8s.io", "v1", "events", "event", "Event", true, {"ev"}, {}));
  add(builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
              "CustomResourceDefinition", false, {"crd", "crds"}, {"api-extensions"}, true));
  // Stored, not enforced: the server authorizes every request. Helm installs them with a chart.
  add(builtin("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, {}, {}));
  add(builtin("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true,
              {}, {}));
  add(builtin("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole",
              false, {}, {}));
  add(builtin("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding",
              "ClusterRoleBinding", false, {}, {}));
  // Services, namespaces and pods have a status subresource but no generation.
  for (auto& t : types_) {
    if (t->plural == "services" || t->plural == "namespaces" || t->plural == "pods") {
      auto copy = std::make_shared<ResourceType>(*t);
      copy->tracks_generation = false;
      t = copy;
    }
  }
}

void ResourceRegistry::add(ResourceType t) {
  if (std::find(group_order_.begin(), group_order_.end(), t.group) == group_order_.end()) {
    group_order_.push_back(t.group);
  }
  types_.push_back(std::make_shared<const ResourceType>(std::move(t)));
}

ResourceTypePtr ResourceRegistry::find(const std::string& group, const std::string& version,
                                       const std::string& plural) const {
  for (const auto& t : types_) {
    if (t->group == group && t->version == version && t->plural == plural) return t;
  }
  return nullptr;
}

ResourceTypePtr ResourceRegistry::find_kind(const std::string& group_version,
                                            const std::string& kind) const {
  for (const auto& t : types_) {
    if (t->group_version() == group_version && t->kind == kind) return t;
  }
  return nullptr;
}

std::vector<ResourceTypePtr> ResourceRegistry::storage_types() const {
  std::vector<ResourceTypePtr> out;
  for (const auto& t : types_) {
    const bool seen = std::any_of(out.begin(), out.end(), [&](const ResourceTypePtr& o) {
      return o->storage_key() == t->storage_key();
    });
    if (!seen) out.push_back(t);
  }
  return out;
}

std::vector<ResourceTypePtr> ResourceRegistry::all() const { return types_; }

std::vector<std::string> ResourceRegistry::groups() const {
  std::vector<std::string> out;
  for (const auto& g : group_order_) {
    if (!versions(g).empty()) out.push_back(g);
  }
  return out;
}

std::vector<std::string> ResourceRegistry::versions(const std::string& group) const {
  std::vector<std::string> out;
  for (const auto& t : types_) {
    if (t->group == group && std::find(out.begin(), out.end(), t->version) == out.end()) {
      out.push_back(t->version);
    }
  }
  return out;
}

std::vector<Cause> ResourceRegistry::crd_causes(const json& crd) {
  std::vector<Cause> causes;
  const json spec = crd.value("spec", json::object());
  const json names = spec.value("names", json::object());
  const std::string group = string_at(spec, "group");
  const std::string plural = string_at(names, "plural");
  if (group.empty()) causes.push_back(required("spec.group"));
  if (plural.empty()) causes.push_back(required("spec.names.plural"));
  if (string_at(names, "kind").empty()) causes.push_back(required("spec.names.kind"));
  const std::string scope = string_at(spec, "scope");
  if (scope != "Namespaced" && scope != "Cluster") {
    causes.push_back(not_supported("spec.scope", scope, {"Cluster", "Namespaced"}));
  }
  const std::string name = string_at(crd.value("metadata", json::object()), "name");
  if (!plural.empty() && !group.empty() && name != plural + "." + group) {
    causes.push_back(invalid("metadata.name", name, "must be spec.names.plural+\".\"+spec.group"));
  }
  const json versions = spec.value("versions", json::array());
  if (!versions.is_array() || versions.empty()) {
    causes.push_back(
        required("spec.versions", "must have exactly one version marked as storage version"));
    return causes;
  }
  int storage = 0;
  for (size_t i = 0; i < versions.size(); ++i) {
    const json& v = versions[i];
    const std::string at = "spec.versions[" + std::to_string(i) + "]";
    if (v.value("storage", false)) ++storage;
    if (string_at(v, "name").empty()) causes.push_back(required(at + ".name"));
    const json schema = v.value("schema", json::object()).value("openAPIV3Schema", json());
    if (schema.is_null()) {
      causes.push_back(required(at + ".schema.openAPIV3Schema", "schemas are required"));
      continue;
    }
    for (auto& c : structural_errors(schema, at + ".schema.openAPIV3Schema")) {
      causes.push_back(std::move(c));
    }
  }
  if (storage != 1) {
    causes.push_back(invalid("spec.versions", versions,
                             "must have exactly one version marked as storage version"));
  }
  return causes;
}

void ResourceRegistry::install_crd(const json& crd) {
  const std::string crd_name = crd["metadata"].value("name", "");
  remove_crd(crd_name);
  const json& spec = crd["spec"];
  const json names = spec.value("names", json::object());
  for (const auto& v : spec.value("versions", json::array())) {
    if (!v.value("served", true)) continue;
    ResourceType t;
    t.crd_name = crd_name;
    t.group = spec.value("group", "");
    t.version = v.value("name", "");
    t.plural = names.value("plural", "");
    t.kind = names.value("kind", "");
    t.singular = names.value("singular", "");
    if (t.singular.empty()) {
      t.singular = t.kind;
      std::transform(t.singular.begin(), t.singular.end(), t.singular.begin(), ::tolower);
    }
    t.list_kind = names.value("listKind", t.kind + "List");
    t.namespaced = spec.value("scope", "Namespaced") == "Namespaced";
    t.short_names = string_list(names.value("shortNames", json()));
    t.categories = string_list(names.value("categories", json()));
    const json sub = v.value("subresources", json::object());
    t.has_status = sub.is_object() && sub.contains("status");
    t.has_scale = sub.is_object() && sub.contains("scale");
    if (t.has_scale) t.scale_paths = sub["scale"];
    t.schema = v.value("schema", json::object()).value("openAPIV3Schema", json::object());
    t.tracks_generation = true;
    for (const auto& c : v.value("additionalPrinterColumns", json::array())) {
      t.columns.push_back(PrinterColumn{c.value("name", ""), c.value("type", "string"),
                                        c.value("format", ""), c.value("description", ""),
                                        c.value("jsonPath", ""), c.value("priority", 0)});
    }
    if (!v.contains("additionalPrinterColumns")) {
      t.columns.push_back(PrinterColumn{"Age", "date", "", "", ".metadata.creationTimestamp", 0});
    }
    add(std::move(t));
  }
}

void ResourceRegistry::remove_crd(const std::string& crd_name) {
  std::erase_if(types_, [&](const ResourceTypePtr& t) { return t->crd_name == crd_name; });
}

}  // namespace fakeapi
