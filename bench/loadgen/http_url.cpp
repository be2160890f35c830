#include "http_url.h"

#include <algorithm>
#include <cctype>

#include "options.h"

namespace loadgen {

HttpUrl parse_http_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind("https://", 0) == 0) {
    throw UsageError("--url: https is not supported; point the tool at the server's plain port");
  }
  if (url.rfind(scheme, 0) != 0)
    throw UsageError("--url must start with http://, got '" + url + "'");
  const std::string rest = url.substr(scheme.size());
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  if (path.find_first_of("?#") != std::string::npos) {
    throw UsageError("--url: a query or fragment makes no sense in the base URL");
  }
  if (authority.empty()) throw UsageError("--url has no host: '" + url + "'");
  if (authority.find('@') != std::string::npos) {
    throw UsageError("--url: credentials in the URL are not supported; use --api-key");
  }

  HttpUrl out;
  if (authority.front() == '[') {  // [IPv6]:port
    const size_t close = authority.find(']');
    if (close == std::string::npos) throw UsageError("--url: unterminated IPv6 address");
    out.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw UsageError("--url: bad text after the IPv6 address");
      out.port = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string::npos) out.port = authority.substr(colon + 1);
  }
  if (out.host.empty()) throw UsageError("--url has no host: '" + url + "'");
  if (out.port.empty()) out.port = "80";
  if (!std::all_of(out.port.begin(), out.port.end(),
                   [](unsigned char c) { return std::isdigit(c); }) ||
      out.port.size() > 5 || std::stoi(out.port) == 0 || std::stoi(out.port) > 65535) {
    throw UsageError("--url: '" + out.port + "' is not a port");
  }
  out.host_header = authority;

  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.size() >= 3 && path.compare(path.size() - 3, 3, "/v1") == 0)
    path.resize(path.size() - 3);
  out.base_path = path;
  return out;
}

}  // namespace loadgen
