#include "api_core.h"

#include "api_errors.h"
#include "discovery.h"
#include "object_util.h"
#include "resource_verbs.h"

namespace fakeapi {
namespace {

using nlohmann::json;

HttpResponse json_response(const nlohmann::ordered_json& body) {
  return HttpResponse{200, "application/json", body.dump(), {}};
}

std::string reason_for(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "InternalError";
  }
}

std::string verb_of(const HttpRequest& req, const RequestTarget& t, const ResourcePath& p) {
  if (req.method == "GET") return !p.name.empty() ? "get" : t.flag("watch") ? "watch" : "list";
  if (req.method == "POST") return "create";
  if (req.method == "PUT") return "update";
  if (req.method == "PATCH") return "patch";
  if (req.method == "DELETE") return p.name.empty() ? "deletecollection" : "delete";
  return "unknown";
}

ApiError forbidden_for(const std::string& user, const HttpRequest& req, const RequestTarget& t,
                       const ResourcePath& p, const ResourceType& type) {
  std::string message = type.qualified_plural() + " ";
  if (!p.name.empty()) message += "\"" + p.name + "\" ";
  const std::string resource = p.subresource.empty() ? p.plural : p.plural + "/" + p.subresource;
  message += "is forbidden: User \"" + user + "\" cannot " + verb_of(req, t, p) + " resource \"" +
             resource + "\" in API group \"" + p.group + "\" ";
  message +=
      p.namespace_.empty() ? "at the cluster scope" : "in the namespace \"" + p.namespace_ + "\"";
  return ApiError(
      403, failure_status(403, "Forbidden", message, details_of(p.name, type.group, type.plural)));
}

}  // namespace

ApiCore::ApiCore() {
  // The "default" namespace (and kube-system) exist in every cluster.
  for (const char* ns : {"default", "kube-system", "kube-public"}) {
    const auto type = registry_.find("", "v1", "namespaces");
    json obj = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
    WriteOptions opts;
    opts.manager = "kube-apiserver";
    Verbs::commit(*this, *type, json(), obj, opts);
  }
}

void ApiCore::fail_next(const std::string& method, const std::string& path_prefix, int http_status,
                        int count) {
  auto g = store_.lock();
  failures_.push_back({method, path_prefix, http_status, count});
}

int ApiCore::request_count(const std::string& method, const std::string& path_prefix) const {
  auto g = store_.lock();
  int n = 0;
  for (const auto& [m, p] : requests_) {
    if ((method.empty() || m == method) && p.starts_with(path_prefix)) ++n;
  }
  return n;
}

std::optional<HttpResponse> ApiCore::injected_failure(const HttpRequest& req,
                                                      const RequestTarget& t) {
  for (auto it = failures_.begin(); it != failures_.end(); ++it) {
    if ((!it->method.empty() && it->method != req.method) || !t.path.starts_with(it->prefix)) {
      continue;
    }
    const int code = it->status;
    if (--it->remaining <= 0) failures_.erase(it);
    return status_response(
        code, failure_status(code, reason_for(code), "injected failure (fake-kube-apiserver)"));
  }
  return std::nullopt;
}

HandlerResult ApiCore::handle(const HttpRequest& req) {
  auto guard = store_.lock();
  const RequestTarget target = RequestTarget::parse(req.target);
  requests_.emplace_back(req.method, target.path);
  HandlerResult result;
  if (auto failure = injected_failure(req, target)) {
    result.response = std::move(*failure);
    return result;
  }
  try {
    result.response = route(req, target, result.watch);
  } catch (const ApiError& e) {
    result.watch.reset();
    result.response = status_response(e.code, e.status);
  } catch (const std::exception& e) {
    result.watch.reset();
    result.response = status_response(
        500,
        failure_status(500, "InternalError", std::string("Internal error occurred: ") + e.what()));
  }
  return result;
}

HttpResponse ApiCore::route(const HttpRequest& req, const RequestTarget& t,
                            std::optional<WatchParams>& watch) {
  const auto& s = t.segments;
  if (req.method == "GET") {
    if (t.path == "/version" || t.path == "/version/") return json_response(version_info());
    if (t.path == "/healthz" || t.path == "/livez" || t.path == "/readyz") {
      return HttpResponse{200, "text/plain; charset=utf-8", "ok", {}};
    }
    if (s.size() == 1 && s[0] == "api") return json_response(api_versions(req.header("host")));
    if (s.size() == 1 && s[0] == "apis") return json_response(api_group_list(registry_));
    if (s.size() == 2 && s[0] == "apis") {
      if (auto g = api_group(registry_, s[1])) return json_response(*g);
      return page_not_found();
    }
    if ((s.size() == 2 && s[0] == "api") || (s.size() == 3 && s[0] == "apis")) {
      const std::string group = s[0] == "api" ? "" : s[1];
      if (auto l = api_resource_list(registry_, group, s.back())) return json_response(*l);
      return page_not_found();
    }
    if (s.size() == 2 && s[0] == "openapi" && s[1] == "v2") {
      return HttpResponse{200, "application/json", openapi_v2(registry_).dump(), {}};
    }
    if (s.size() == 2 && s[0] == "openapi" && s[1] == "v3") {
      return HttpResponse{200, "application/json", openapi_v3_root(registry_).dump(), {}};
    }
    if (s.size() >= 4 && s[0] == "openapi" && s[1] == "v3") {
      std::optional<json> doc;
      if (s[2] == "api" && s.size() == 4) doc = openapi_v3_group_version(registry_, "", s[3]);
      if (s[2] == "apis" && s.size() == 5) doc = openapi_v3_group_version(registry_, s[3], s[4]);
      if (doc) return HttpResponse{200, "application/json", doc->dump(), {}};
      return page_not_found();
    }
  }
  const auto path = parse_resource_path(s);
  if (!path) return page_not_found();
  const ResourceTypePtr type = registry_.find(path->group, path->version, path->plural);
  if (!type) return page_not_found();
  if (!path->subresource.empty() && !(path->subresource == "status" && type->has_status) &&
      !(path->subresource == "scale" && type->has_scale)) {
    return page_not_found();
  }
  if (type->namespaced == false && !path->namespace_.empty()) return page_not_found();
  // An impersonated user has no RBAC permissions here: every resource request is forbidden, as
  // for a user without role bindings.
  if (const std::string user = req.header("impersonate-user"); !user.empty()) {
    throw forbidden_for(user, req, t, *path, *type);
  }
  VerbContext c{*this, req, t, *path, type};
  if (req.method == "GET") return path->name.empty() ? Verbs::list(c, watch) : Verbs::get(c);
  if (req.method == "POST" && path->name.empty()) return Verbs::create(c);
  if (req.method == "PUT" && !path->name.empty()) return Verbs::update(c);
  if (req.method == "PATCH" && !path->name.empty()) return Verbs::patch(c);
  if (req.method == "DELETE") {
    return path->name.empty() ? Verbs::remove_collection(c) : Verbs::remove(c);
  }
  throw method_not_allowed("the server does not allow this method on the requested resource");
}

}  // namespace fakeapi
