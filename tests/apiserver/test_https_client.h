// A small HTTPS client for tests of the fake API server: plain requests over one keep-alive
// connection, and watch streams read event by event with bounded waits. It trusts the server's
// CA and presents the admin client certificate, a bearer token, or nothing.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tls_certificates.h"

namespace fakeapi {

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names (repeated ones joined by ", ")
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  nlohmann::ordered_json ordered_json() const {
    return nlohmann::ordered_json::parse(body, nullptr, false);
  }
};

struct ClientCredentials {
  bool client_certificate = true;
  std::string bearer_token{};  // sent when not empty
};

class HttpsTestClient {
 public:
  HttpsTestClient(const TlsCertificates& certs, unsigned short port,
                  ClientCredentials credentials = {});
  ~HttpsTestClient();

  // Throws std::runtime_error on connection failures and after `timeout`.
  ClientResponse request(const std::string& method, const std::string& target,
                         const std::string& body = "",
                         const std::string& content_type = "application/json",
                         const std::string& accept = "application/json",
                         std::chrono::milliseconds timeout = std::chrono::seconds(10),
                         const std::map<std::string, std::string>& headers = {});

  class Watch {
   public:
    virtual ~Watch() = default;
    // The response status and headers (read when the watch opened).
    virtual const ClientResponse& response() const = 0;
    // The next event, or nothing when none came within `timeout` or the stream ended.
    virtual std::optional<nlohmann::json> next(std::chrono::milliseconds timeout) = 0;
    // Whether the server ended the stream (final chunk or closed connection).
    virtual bool ended() const = 0;
  };
  // Opens a watch on its own connection.
  std::unique_ptr<Watch> watch(const std::string& target,
                               const std::string& accept = "application/json");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fakeapi
