// A request target split into what the router needs: the path segments of a resource request
// (group, version, namespace, resource, name, subresource) and the decoded query parameters.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fakeapi {

std::string percent_decode(std::string_view s, bool plus_is_space);

struct RequestTarget {
  std::string path;  // decoded, without the query
  std::vector<std::string> segments;
  std::map<std::string, std::string> query;  // the first value of each parameter

  static RequestTarget parse(std::string_view target);
  std::string param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? "" : it->second;
  }
  bool has(const std::string& name) const { return query.count(name) > 0; }
  // "true", "1" (and for watch, any value but "false"/"0") turn a flag on.
  bool flag(const std::string& name) const;
};

struct ResourcePath {
  std::string group;
  std::string version;
  std::string namespace_;  // empty: cluster-wide (or a cluster-scoped resource)
  std::string plural;
  std::string name;         // empty: the collection
  std::string subresource;  // status, scale, ...
};

// /api/v1/... and /apis/GROUP/VERSION/... resource paths; nothing for discovery and other paths.
std::optional<ResourcePath> parse_resource_path(const std::vector<std::string>& segments);

}  // namespace fakeapi
