// The server address from --url: host, port and a path prefix. Plain http only: the tool measures
// the server, and TLS would add client cost that is not the server's.
#pragma once

#include <string>

namespace loadgen {

struct HttpUrl {
  std::string host;
  std::string port;         // "80" when the URL names none
  std::string base_path;    // "" or "/prefix", never ending in '/'
  std::string host_header;  // host[:port] as the Host header wants it
};

// Throws UsageError for anything but http://host[:port][/path]. A trailing "/v1" is dropped since
// the endpoint paths carry it.
HttpUrl parse_http_url(const std::string& url);

}  // namespace loadgen
