// The API logic of the fake kube-apiserver, without the network: routes a request to discovery,
// OpenAPI or a resource verb and runs the verb against the store. Thread-safe (every request
// holds the store's lock while it runs). Watches are set up here and streamed by the session.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api_path.h"
#include "http_message.h"
#include "object_store.h"
#include "resource_registry.h"
#include "selectors.h"

namespace fakeapi {

// What a watch request asked for.
struct WatchParams {
  ResourceTypePtr type;
  std::string namespace_;
  LabelSelector labels;
  FieldSelector fields;
  bool bookmarks = false;
  bool send_initial_events = false;
  std::optional<uint64_t> from_revision;  // nothing: start with the current objects (as ADDED)
  int timeout_seconds = 0;                // 0: until the connection closes
  bool as_table = false;
  std::string include_object = "Metadata";  // Table rows' object: None, Metadata, Object
};

struct HandlerResult {
  HttpResponse response;
  std::optional<WatchParams> watch;  // set: stream events instead of `response`
};

// A running watch: the lines to send first, then new lines through the callback (called with
// the store lock held; it must not block).
struct WatchStart {
  std::vector<std::string> initial_lines;
  uint64_t watcher_id = 0;  // 0: the watch ended at once (an ERROR event)
};

class ApiCore {
 public:
  ApiCore();

  HandlerResult handle(const HttpRequest& req);

  WatchStart start_watch(const WatchParams& params, std::function<void(std::string)> on_line);
  void stop_watch(uint64_t watcher_id);
  // The BOOKMARK line a watch sends now (at the current revision).
  std::string bookmark_line(const WatchParams& params);

  ObjectStore& store() { return store_; }

  // Failure injection: the next `count` requests with this method whose path starts with
  // `path_prefix` get `http_status` (a Status body with the matching reason).
  void fail_next(const std::string& method, const std::string& path_prefix, int http_status,
                 int count);
  int request_count(const std::string& method, const std::string& path_prefix) const;

 private:
  friend struct Verbs;
  struct Failure {
    std::string method;
    std::string prefix;
    int status;
    int remaining;
  };

  HttpResponse route(const HttpRequest& req, const RequestTarget& target,
                     std::optional<WatchParams>& watch);
  std::optional<HttpResponse> injected_failure(const HttpRequest& req, const RequestTarget& t);

  ObjectStore store_;
  ResourceRegistry registry_;
  std::vector<Failure> failures_;
  std::vector<std::pair<std::string, std::string>> requests_;  // method, path
  std::atomic<uint64_t> cluster_ip_counter_{10};
};

}  // namespace fakeapi
