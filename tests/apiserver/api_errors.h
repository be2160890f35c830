// The metav1.Status failures kube-apiserver answers with, as exceptions the request handlers
// throw and the router turns into responses. Bodies keep the real key order.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "field_error.h"
#include "http_message.h"
#include "resource_registry.h"

namespace fakeapi {

struct ApiError : std::runtime_error {
  ApiError(int code, nlohmann::ordered_json status)
      : std::runtime_error(status.value("message", "")), code(code), status(std::move(status)) {}
  int code;
  nlohmann::ordered_json status;
};

// {"kind":"Status",...,"message","reason","details","code"} with details left out when empty.
nlohmann::ordered_json failure_status(int code, const std::string& reason,
                                      const std::string& message,
                                      nlohmann::ordered_json details = nlohmann::ordered_json());
nlohmann::ordered_json details_of(const std::string& name, const std::string& group,
                                  const std::string& kind);

// `details.kind` is the resource (plural) in these, as the real server puts it.
ApiError not_found(const ResourceType& t, const std::string& name);
ApiError namespace_not_found(const std::string& ns);
ApiError already_exists(const ResourceType& t, const std::string& name);
ApiError stale_conflict(const ResourceType& t, const std::string& name);
ApiError bad_request(const std::string& message);
ApiError invalid(const ResourceType& t, const std::string& name, const std::vector<Cause>& causes);
ApiError gone(const std::string& message);
ApiError method_not_allowed(const std::string& message);
ApiError unsupported_media_type(const std::string& content_type);

HttpResponse status_response(int code, const nlohmann::ordered_json& status);
// The plain-text 404 of an unknown path.
HttpResponse page_not_found();

}  // namespace fakeapi
