#include "discovery.h"

#include <functional>

#include "object_util.h"

namespace fakeapi {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

ordered_json group_json(const ResourceRegistry& r, const std::string& group) {
  ordered_json versions = ordered_json::array();
  for (const auto& v : r.versions(group)) {
    versions.push_back({{"groupVersion", group + "/" + v}, {"version", v}});
  }
  ordered_json g;
  g["name"] = group;
  g["versions"] = versions;
  g["preferredVersion"] = versions.empty() ? ordered_json::object() : versions[0];
  return g;
}

ordered_json resource_entry(const ResourceType& t) {
  ordered_json e;
  e["name"] = t.plural;
  e["singularName"] = t.singular;
  e["namespaced"] = t.namespaced;
  e["kind"] = t.kind;
  e["verbs"] = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
  if (!t.short_names.empty()) e["shortNames"] = t.short_names;
  if (!t.categories.empty()) e["categories"] = t.categories;
  // A stable 8-byte digest of the storage version, base64-encoded like the real one.
  const uint64_t h = std::hash<std::string>{}(t.group + "/" + t.version + "/" + t.kind);
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes += static_cast<char>((h >> (8 * i)) & 0xff);
  e["storageVersionHash"] = base64_encode(bytes);
  return e;
}

ordered_json subresource_entry(const ResourceType& t, const std::string& sub) {
  ordered_json e;
  e["name"] = t.plural + "/" + sub;
  e["singularName"] = "";
  e["namespaced"] = t.namespaced;
  if (sub == "scale") {
    e["group"] = "autoscaling";
    e["version"] = "v1";
    e["kind"] = "Scale";
  } else {
    e["kind"] = t.kind;
  }
  e["verbs"] = {"get", "patch", "update"};
  return e;
}

std::string reversed_group(const std::string& group) {
  if (group.empty()) return "io.k8s.api.core";
  if (group.find('.') == std::string::npos || group.ends_with(".k8s.io")) {
    std::string g = group.substr(0, group.find('.'));
    return "io.k8s.api." + g;
  }
  std::string out;
  size_t end = group.size();
  while (true) {
    const size_t dot = group.rfind('.', end - 1);
    const std::string part = group.substr(dot == std::string::npos ? 0 : dot + 1,
                                          end - (dot == std::string::npos ? 0 : dot + 1));
    out += (out.empty() ? "" : ".") + part;
    if (dot == std::string::npos) break;
    end = dot;
  }
  return out;
}

std::string schema_name(const ResourceType& t) {
  return reversed_group(t.group) + "." + t.version + "." + t.kind;
}

json gvk(const ResourceType& t) {
  return json::array({{{"group", t.group}, {"version", t.version}, {"kind", t.kind}}});
}

json type_schema(const ResourceType& t) {
  json schema = t.schema.is_object() && !t.schema.empty()
                    ? t.schema
                    : json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  schema["x-kubernetes-group-version-kind"] = gvk(t);
  if (!schema.contains("properties")) schema["properties"] = json::object();
  json& props = schema["properties"];
  props["apiVersion"] = {{"type", "string"},
                         {"description",
                          "APIVersion defines the versioned schema of this "
                          "representation of an object."}};
  props["kind"] = {{"type", "string"},
                   {"description",
                    "Kind is a string value representing the REST resource this "
                    "object represents."}};
  props["metadata"] = {{"type", "object"},
                       {"description", "Standard object's metadata."},
                       {"x-kubernetes-preserve-unknown-fields", true}};
  return schema;
}

json operation(const ResourceType& t, const std::string& action, bool with_validation) {
  json params =
      json::array({{{"name", "dryRun"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                   {{"name", "fieldManager"}, {"in", "query"}, {"schema", {{"type", "string"}}}}});
  if (with_validation) {
    params.push_back({{"name", "fieldValidation"},
                      {"in", "query"},
                      {"description",
                       "fieldValidation instructs the server on how to handle "
                       "objects in the request containing unknown or duplicate "
                       "fields."},
                      {"schema", {{"type", "string"}, {"uniqueItems", true}}}});
  }
  return {{"operationId", action + t.kind},
          {"parameters", params},
          {"x-kubernetes-action", action},
          {"x-kubernetes-group-version-kind", gvk(t)[0]},
          {"responses", {{"200", {{"description", "OK"}}}}}};
}

}  // namespace

ordered_json version_info() {
  ordered_json v;
  v["major"] = "1";
  v["minor"] = "32";
  v["gitVersion"] = "v1.32.13";
  v["gitCommit"] = "0000000000000000000000000000000000000000";
  v["gitTreeState"] = "clean";
  v["buildDate"] = "2026-01-01T00:00:00Z";
  v["goVersion"] = "go1.23.5";
  v["compiler"] = "gc";
  v["platform"] = "linux/amd64";
  return v;
}

ordered_json api_versions(const std::string& server_address) {
  ordered_json v;
  v["kind"] = "APIVersions";
  v["versions"] = {"v1"};
  v["serverAddressByClientCIDRs"] = {
      {{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}};
  return v;
}

ordered_json api_group_list(const ResourceRegistry& r) {
  ordered_json list;
  list["kind"] = "APIGroupList";
  list["apiVersion"] = "v1";
  ordered_json groups = ordered_json::array();
  for (const auto& g : r.groups()) {
    if (!g.empty()) groups.push_back(group_json(r, g));
  }
  list["groups"] = groups;
  return list;
}

std::optional<ordered_json> api_group(const ResourceRegistry& r, const std::string& group) {
  if (group.empty() || r.versions(group).empty()) return std::nullopt;
  ordered_json g;
  g["kind"] = "APIGroup";
  g["apiVersion"] = "v1";
  const ordered_json body = group_json(r, group);
  for (const auto& [k, v] : body.items()) g[k] = v;
  return g;
}

std::optional<ordered_json> api_resource_list(const ResourceRegistry& r, const std::string& group,
                                              const std::string& version) {
  ordered_json resources = ordered_json::array();
  for (const auto& t : r.all()) {
    if (t->group != group || t->version != version) continue;
    resources.push_back(resource_entry(*t));
    if (t->has_status) resources.push_back(subresource_entry(*t, "status"));
    if (t->has_scale) resources.push_back(subresource_entry(*t, "scale"));
  }
  if (resources.empty()) return std::nullopt;
  ordered_json list;
  list["kind"] = "APIResourceList";
  list["apiVersion"] = "v1";
  list["groupVersion"] = group.empty() ? version : group + "/" + version;
  list["resources"] = resources;
  return list;
}

json openapi_v3_root(const ResourceRegistry& r) {
  json paths = json::object();
  for (const auto& g : r.groups()) {
    for (const auto& v : r.versions(g)) {
      const std::string key = g.empty() ? "api/" + v : "apis/" + g + "/" + v;
      // The hash changes with the document, so that clients' caches notice new CRDs.
      const auto doc = openapi_v3_group_version(r, g, v);
      const size_t hash = std::hash<std::string>{}(doc ? doc->dump() : "");
      paths[key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + std::to_string(hash)}};
    }
  }
  return {{"paths", paths}};
}

std::optional<json> openapi_v3_group_version(const ResourceRegistry& r, const std::string& group,
                                             const std::string& version) {
  json schemas = json::object();
  json paths = json::object();
  for (const auto& t : r.all()) {
    if (t->group != group || t->version != version) continue;
    schemas[schema_name(*t)] = type_schema(*t);
    const std::string base =
        (group.empty() ? "/api/" + version : "/apis/" + group + "/" + version) +
        (t->namespaced ? "/namespaces/{namespace}/" : "/") + t->plural;
    paths[base] = {{"get", operation(*t, "list", false)}, {"post", operation(*t, "post", true)}};
    paths[base + "/{name}"] = {{"get", operation(*t, "get", false)},
                               {"put", operation(*t, "put", true)},
                               {"patch", operation(*t, "patch", true)},
                               {"delete", operation(*t, "delete", false)}};
  }
  if (paths.empty()) return std::nullopt;
  return json{{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes"}, {"version", "v1.32.13"}}},
              {"paths", paths},
              {"components", {{"schemas", schemas}}}};
}

json openapi_v2(const ResourceRegistry& r) {
  json definitions = json::object();
  for (const auto& t : r.all()) definitions[schema_name(*t)] = type_schema(*t);
  return {{"swagger", "2.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.32.13"}}},
          {"paths", json::object()},
          {"definitions", definitions}};
}

}  // namespace fakeapi
