// The request and response the API logic works on, independent of the network code: the HTTPS
// sessions translate Beast messages to and from these, and the in-process ApiServer calls make
// them directly.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace fakeapi {

struct HttpRequest {
  std::string method;                          // GET, POST, PUT, PATCH, DELETE
  std::string target;                          // path and query, percent-encoded
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Warning, ...)
};

}  // namespace fakeapi
