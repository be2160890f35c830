// The resource types the fake API server serves: the built-in ones it knows from the start and
// the ones CustomResourceDefinitions install. Not thread-safe by itself; the server guards it
// with the store's lock.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "field_error.h"

namespace fakeapi {

struct PrinterColumn {
  std::string name;
  std::string type;    // integer, number, string, boolean, date
  std::string format;  // "name" for the Name column
  std::string description;
  std::string json_path;  // ".spec.replicas"; empty for built-in columns
  int priority = 0;
};

struct ResourceType {
  std::string group;  // "" for core
  std::string version;
  std::string plural;
  std::string singular;
  std::string kind;
  std::string list_kind;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool has_status = false;  // a /status subresource
  bool has_scale = false;   // a /scale subresource
  // CRDs: {specReplicasPath, statusReplicasPath, labelSelectorPath}.
  nlohmann::json scale_paths;
  // CRDs: the version's openAPIV3Schema; null for built-ins (no schema checks).
  nlohmann::json schema;
  // CRDs: additionalPrinterColumns (Name is implied). Built-ins: empty (tables.cpp knows them).
  std::vector<PrinterColumn> columns;
  std::string crd_name;  // the CRD that installed it; empty for built-ins
  // Whether generation is tracked (types with a spec/status split).
  bool tracks_generation = false;

  std::string group_version() const { return group.empty() ? version : group + "/" + version; }
  // "widgets.example.com" / "pods": how error messages and storage name the resource.
  std::string qualified_plural() const { return group.empty() ? plural : plural + "." + group; }
  // "Widget.example.com" / "Pod".
  std::string qualified_kind() const { return group.empty() ? kind : kind + "." + group; }
  // Objects of all versions of a resource share one storage key.
  std::string storage_key() const { return group + "/" + plural; }
  bool is_custom() const { return !crd_name.empty(); }
};

using ResourceTypePtr = std::shared_ptr<const ResourceType>;

class ResourceRegistry {
 public:
  ResourceRegistry();  // the built-in types

  ResourceTypePtr find(const std::string& group, const std::string& version,
                       const std::string& plural) const;
  ResourceTypePtr find_kind(const std::string& group_version, const std::string& kind) const;
  // Any served version of group/plural (for garbage collection and namespace cleanup).
  std::vector<ResourceTypePtr> storage_types() const;
  std::vector<ResourceTypePtr> all() const;
  // Group names in discovery order (core "" first), and the versions served for one group,
  // preferred first.
  std::vector<std::string> groups() const;
  std::vector<std::string> versions(const std::string& group) const;

  // Checks a CRD (structural schema, names) and returns the causes that make it invalid, with
  // field paths as the real server reports them.
  static std::vector<Cause> crd_causes(const nlohmann::json& crd);
  // Installs (or replaces) the types a CRD defines; removes the ones it no longer serves.
  void install_crd(const nlohmann::json& crd);
  void remove_crd(const std::string& crd_name);

 private:
  void add(ResourceType t);
  std::vector<ResourceTypePtr> types_;
  std::vector<std::string> group_order_;
};

}  // namespace fakeapi
