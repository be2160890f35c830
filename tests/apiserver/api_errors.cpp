#include "api_errors.h"

#include "go_format.h"
#include "status.h"

namespace fakeapi {

using nlohmann::ordered_json;

ordered_json failure_status(int code, const std::string& reason, const std::string& message,
                            ordered_json details) {
  ordered_json s;
  s["kind"] = "Status";
  s["apiVersion"] = "v1";
  s["metadata"] = ordered_json::object();
  s["status"] = "Failure";
  s["message"] = message;
  s["reason"] = reason;
  if (details.is_object() && !details.empty()) s["details"] = std::move(details);
  s["code"] = code;
  return s;
}

ordered_json details_of(const std::string& name, const std::string& group,
                        const std::string& kind) {
  ordered_json d = ordered_json::object();
  if (!name.empty()) d["name"] = name;
  if (!group.empty()) d["group"] = group;
  if (!kind.empty()) d["kind"] = kind;
  return d;
}

ApiError not_found(const ResourceType& t, const std::string& name) {
  return ApiError(404,
                  failure_status(404, "NotFound",
                                 t.qualified_plural() + " " + gofmt::quote(name) + " not found",
                                 details_of(name, t.group, t.plural)));
}

ApiError namespace_not_found(const std::string& ns) {
  return ApiError(404,
                  failure_status(404, "NotFound", "namespaces " + gofmt::quote(ns) + " not found",
                                 details_of(ns, "", "namespaces")));
}

ApiError already_exists(const ResourceType& t, const std::string& name) {
  return ApiError(
      409, failure_status(409, "AlreadyExists",
                          t.qualified_plural() + " " + gofmt::quote(name) + " already exists",
                          details_of(name, t.group, t.plural)));
}

ApiError stale_conflict(const ResourceType& t, const std::string& name) {
  return ApiError(
      409, failure_status(409, "Conflict",
                          "Operation cannot be fulfilled on " + t.qualified_plural() + " " +
                              gofmt::quote(name) +
                              ": the object has been modified; please apply your changes to the "
                              "latest version and try again",
                          details_of(name, t.group, t.plural)));
}

ApiError bad_request(const std::string& message) {
  return ApiError(400, failure_status(400, "BadRequest", message));
}

ApiError invalid(const ResourceType& t, const std::string& name, const std::vector<Cause>& causes) {
  return ApiError(422, invalid_status(t.kind, t.group, name, causes));
}

ApiError gone(const std::string& message) {
  return ApiError(410, failure_status(410, "Expired", message));
}

ApiError method_not_allowed(const std::string& message) {
  return ApiError(405, failure_status(405, "MethodNotAllowed", message));
}

ApiError unsupported_media_type(const std::string& content_type) {
  return ApiError(415, failure_status(415, "UnsupportedMediaType",
                                      "the body of the request was in an unknown format - "
                                      "accepted media types include: application/json-patch+json, "
                                      "application/merge-patch+json, application/apply-patch+yaml"
                                      " (got " +
                                          content_type + ")"));
}

HttpResponse status_response(int code, const ordered_json& status) {
  // Messages may quote a request body that is not UTF-8 (a binary encoding): replace, not throw.
  return HttpResponse{code,
                      "application/json",
                      status.dump(-1, ' ', false, ordered_json::error_handler_t::replace),
                      {}};
}

HttpResponse page_not_found() {
  return HttpResponse{404,
                      "text/plain; charset=utf-8",
                      "404 page not found\n",
                      {{"X-Content-Type-Options", "nosniff"}}};
}

}  // namespace fakeapi
