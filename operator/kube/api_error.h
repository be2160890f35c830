// Failures of Kubernetes API calls, decoded from the metav1.Status body the API server answers
// with, so callers branch on the reason (NotFound, Conflict, AlreadyExists, Expired, ...).
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace kube {

class ApiError : public std::runtime_error {
 public:
  ApiError(int code, std::string reason, const std::string& message, nlohmann::json status);

  int code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const nlohmann::json& status() const { return status_; }  // the whole Status; null if none

  bool not_found() const { return code_ == 404; }
  bool conflict() const { return code_ == 409 && reason_ != "AlreadyExists"; }
  bool already_exists() const { return reason_ == "AlreadyExists"; }
  bool gone() const { return code_ == 410; }
  bool invalid() const { return code_ == 422; }
  // Worth retrying the same request later: throttling, timeouts and server-side failures.
  bool retryable() const { return code_ == 429 || code_ >= 500; }

 private:
  int code_;
  std::string reason_;
  nlohmann::json status_;
};

// An ApiError for an HTTP answer: from its Status body when it has one (reason, message), from
// the code and the raw text otherwise (a plain "404 page not found", a proxy's HTML page).
ApiError api_error_from_response(int http_status, const std::string& body);

}  // namespace kube
