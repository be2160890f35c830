#include "kube/api_client.h"

#include <cctype>
#include <cstdio>
#include <utility>

namespace kube {

namespace {

constexpr std::chrono::seconds kRequestTimeout{30};
// Idle connections kept for reuse; more concurrent calls open more and close the surplus.
constexpr size_t kMaxIdleConnections = 8;

// Percent-encodes a query parameter value (RFC 3986 unreserved characters pass through).
std::string query_escape(const std::string& value) {
  std::string out;
  for (const unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

// Appends `key=value` to a target's query when the value is not empty.
void add_query(std::string& target, const std::string& key, const std::string& value) {
  if (value.empty()) return;
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += key + "=" + query_escape(value);
}

std::string object_name(const json& object, const char* field) {
  const auto& meta = object.value("metadata", json::object());
  return meta.value(field, "");
}

bool is_success(unsigned status) { return status >= 200 && status < 300; }

const char* propagation_name(Propagation p) {
  switch (p) {
    case Propagation::kForeground:
      return "Foreground";
    case Propagation::kOrphan:
      return "Orphan";
    case Propagation::kBackground:
      break;
  }
  return "Background";
}

}  // namespace

ApiClient::ApiClient(ClusterConfig config, std::string user_agent)
    : config_(std::move(config)), user_agent_(std::move(user_agent)) {
  if (!config_.token) config_.token = std::make_shared<TokenSource>("", "");
}

http::Request ApiClient::make_request(std::string method, const std::string& target) const {
  http::Request request;
  request.method = std::move(method);
  request.url = config_.server + target;
  request.timeout = kRequestTimeout;
  request.headers = {{"Accept", "application/json"}, {"User-Agent", user_agent_}};
  if (const std::string token = config_.token->token(); !token.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + token);
  }
  return request;
}

std::unique_ptr<http::Client> ApiClient::new_connection() const {
  return std::make_unique<http::Client>(config_.tls);
}

json ApiClient::call(http::Request request) {
  std::unique_ptr<http::Client> connection;
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!connection) connection = new_connection();
  const http::Response response = connection->send(request);
  {
    std::lock_guard lock(pool_mutex_);
    if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(connection));
  }
  if (!is_success(response.status))
    throw api_error_from_response(int(response.status), response.body);
  if (response.body.empty()) return json::object();
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    throw ApiError(int(response.status), "InvalidResponse",
                   request.method + " " + request.url + ": the answer is not JSON", nullptr);
  }
  return body;
}

json ApiClient::version() { return call(make_request("GET", "/version")); }

json ApiClient::get(const ResourceType& type, const std::string& ns, const std::string& name) {
  return call(make_request("GET", type.path(ns, name)));
}

ListResult ApiClient::list(const ResourceType& type, const std::string& ns,
                           const ListOptions& options) {
  ListResult result;
  std::string continue_token;
  do {
    std::string target = type.path(ns);
    add_query(target, "labelSelector", options.label_selector);
    add_query(target, "fieldSelector", options.field_selector);
    add_query(target, "limit", std::to_string(options.page_size));
    add_query(target, "continue", continue_token);
    json page = call(make_request("GET", target));
    const json& meta = page.value("metadata", json::object());
    continue_token = meta.value("continue", "");
    result.resource_version = meta.value("resourceVersion", "");
    for (auto& item : page["items"]) {
      // List items omit apiVersion and kind; watch events and gets carry them.
      item["apiVersion"] = type.api_version();
      item["kind"] = type.kind;
      result.items.push_back(std::move(item));
    }
  } while (!continue_token.empty());
  return result;
}

json ApiClient::create(const ResourceType& type, const json& object) {
  http::Request request = make_request("POST", type.path(object_name(object, "namespace")));
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = object.dump();
  return call(std::move(request));
}

json ApiClient::replace(const ResourceType& type, const json& object,
                        const std::string& subresource) {
  http::Request request = make_request(
      "PUT", type.path(object_name(object, "namespace"), object_name(object, "name"), subresource));
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = object.dump();
  return call(std::move(request));
}

json ApiClient::apply(const ResourceType& type, const json& object,
                      const std::string& field_manager, bool force,
                      const std::string& subresource) {
  std::string target =
      type.path(object_name(object, "namespace"), object_name(object, "name"), subresource);
  add_query(target, "fieldManager", field_manager);
  if (force) add_query(target, "force", "true");
  http::Request request = make_request("PATCH", target);
  // JSON is YAML: the apply content type takes either.
  request.headers.emplace_back("Content-Type", "application/apply-patch+yaml");
  request.body = object.dump();
  return call(std::move(request));
}

json ApiClient::merge_patch(const ResourceType& type, const std::string& ns,
                            const std::string& name, const json& patch,
                            const std::string& subresource) {
  http::Request request = make_request("PATCH", type.path(ns, name, subresource));
  request.headers.emplace_back("Content-Type", "application/merge-patch+json");
  request.body = patch.dump();
  return call(std::move(request));
}

void ApiClient::remove(const ResourceType& type, const std::string& ns, const std::string& name,
                       Propagation propagation) {
  http::Request request = make_request("DELETE", type.path(ns, name));
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = json{{"apiVersion", "v1"},
                      {"kind", "DeleteOptions"},
                      {"propagationPolicy", propagation_name(propagation)}}
                     .dump();
  call(std::move(request));
}

void ApiClient::watch(http::Client& connection, const ResourceType& type, const std::string& ns,
                      const WatchOptions& options,
                      const std::function<bool(WatchEvent&&)>& on_event) {
  std::string target = type.path(ns);
  add_query(target, "watch", "1");
  add_query(target, "allowWatchBookmarks", "true");
  add_query(target, "resourceVersion", options.resource_version);
  add_query(target, "labelSelector", options.label_selector);
  add_query(target, "fieldSelector", options.field_selector);
  add_query(target, "timeoutSeconds", std::to_string(options.timeout_seconds));
  http::Request request = make_request("GET", target);
  // The server is silent between events; allow its whole timeout plus a margin.
  request.timeout = std::chrono::seconds(options.timeout_seconds + 30);

  std::string pending;  // a partial line carried over between reads
  std::optional<ApiError> error;
  const http::Response response = connection.stream(request, [&](std::string_view data) {
    pending.append(data);
    size_t start = 0;
    for (size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
      const std::string_view line(pending.data() + start, end - start);
      if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
      json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!event.is_object() || !event.contains("type")) {
        error.emplace(500, "InvalidResponse", "watch " + target + ": malformed event", nullptr);
        return false;
      }
      WatchEvent ev{event["type"].get<std::string>(), std::move(event["object"])};
      if (ev.type == "ERROR") {
        error = api_error_from_response(ev.object.value("code", 500), ev.object.dump());
        return false;
      }
      if (!on_event(std::move(ev))) return false;
    }
    pending.erase(0, start);
    return true;
  });
  if (!is_success(response.status))
    throw api_error_from_response(int(response.status), response.body);
  if (error) throw *error;
}

}  // namespace kube
