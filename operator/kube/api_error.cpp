#include "kube/api_error.h"

#include <utility>

namespace kube {

namespace {

// The reason the API server uses for a code when the body carries none.
std::string reason_for_code(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "Unknown";
  }
}

}  // namespace

ApiError::ApiError(int code, std::string reason, const std::string& message, nlohmann::json status)
    : std::runtime_error(message),
      code_(code),
      reason_(std::move(reason)),
      status_(std::move(status)) {}

ApiError api_error_from_response(int http_status, const std::string& body) {
  nlohmann::json status = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (status.is_object() && status.value("kind", "") == "Status") {
    const int code = status.value("code", http_status);
    std::string reason = status.value("reason", "");
    if (reason.empty()) reason = reason_for_code(code);
    const std::string message = status.value("message", reason);
    return ApiError(code, std::move(reason), message, std::move(status));
  }
  std::string text = body.substr(0, 200);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  const std::string reason = reason_for_code(http_status);
  return ApiError(http_status, reason,
                  "HTTP " + std::to_string(http_status) + (text.empty() ? "" : ": " + text),
                  nullptr);
}

}  // namespace kube
