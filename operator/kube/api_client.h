// A Kubernetes API client: the verbs the operator uses, over HTTPS with the cluster's
// credentials. Failed calls throw ApiError (decoded from the server's Status) or
// http::TransportError. Safe to share between threads: each call borrows a pooled connection.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "http/http_client.h"
#include "kube/api_error.h"
#include "kube/cluster_config.h"
#include "kube/resource_type.h"

namespace kube {

using nlohmann::json;

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int page_size = 500;  // `limit` of each page; the list follows `continue` to the end
};

struct ListResult {
  std::vector<json> items;
  std::string resource_version;  // of the list: where a watch resumes
};

struct WatchOptions {
  std::string resource_version;
  std::string label_selector;
  std::string field_selector;
  int timeout_seconds = 300;  // the server ends the stream after this; the caller re-watches
};

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED or BOOKMARK (ERROR is thrown as ApiError)
  json object;
};

enum class Propagation { kBackground, kForeground, kOrphan };

class ApiClient {
 public:
  explicit ApiClient(ClusterConfig config, std::string user_agent = "mistral-operator");

  const ClusterConfig& config() const { return config_; }

  // /version: the server's gitVersion, major, minor, ...
  json version();
  json get(const ResourceType& type, const std::string& ns, const std::string& name);
  ListResult list(const ResourceType& type, const std::string& ns, const ListOptions& options);
  json create(const ResourceType& type, const json& object);
  // PUT of the whole object (or its subresource); its metadata.resourceVersion makes the write
  // conditional: a stale one fails with 409 Conflict.
  json replace(const ResourceType& type, const json& object, const std::string& subresource = "");
  // Server-side apply of `object` (an apply configuration) as `field_manager`.
  json apply(const ResourceType& type, const json& object, const std::string& field_manager,
             bool force, const std::string& subresource = "");
  json merge_patch(const ResourceType& type, const std::string& ns, const std::string& name,
                   const json& patch, const std::string& subresource = "");
  void remove(const ResourceType& type, const std::string& ns, const std::string& name,
              Propagation propagation = Propagation::kBackground);

  // A connection of its own for a long watch, so that another thread can cancel() it.
  std::unique_ptr<http::Client> new_connection() const;
  // Streams events until the server ends the watch (returns normally), `on_event` returns
  // false, or `connection` is cancelled (TransportError). A resourceVersion too old to resume
  // from throws ApiError with gone() true, whether the server says so with HTTP 410 or with an
  // ERROR event.
  void watch(http::Client& connection, const ResourceType& type, const std::string& ns,
             const WatchOptions& options, const std::function<bool(WatchEvent&&)>& on_event);

 private:
  http::Request make_request(std::string method, const std::string& target) const;
  json call(http::Request request);

  ClusterConfig config_;
  std::string user_agent_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<http::Client>> idle_;
};

}  // namespace kube
