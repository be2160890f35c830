// A small HTTP/1.1 client over TCP or TLS (Boost.Beast + OpenSSL), shared by the operator's
// Kubernetes client and `mistral-engine pull`. One Client per thread: calls on it are sequential;
// only cancel() may be called from another thread. The connection is kept alive between calls to
// the same origin.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace http {

// What the client trusts and presents. Empty PEM fields mean "not configured".
struct TlsConfig {
  std::string ca_pem;  // trusted CAs; empty: the system's default store
  std::string client_cert_pem;
  std::string client_key_pem;
  bool insecure_skip_verify = false;
};

struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;
  std::uint16_t port = 0;
  std::string target;  // path and query, at least "/"

  // Throws std::invalid_argument naming what is wrong with the text.
  static Url parse(std::string_view text);
  std::string origin() const;  // scheme://host:port
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL
  Headers headers;
  std::string body;
  // send(): the whole exchange. stream(): connecting and the response head, then the longest
  // silence allowed between two reads of the body.
  std::chrono::milliseconds timeout{30000};
  // 301, 302, 303, 307 and 308 are followed up to this many times (relative Locations included);
  // a 303 turns into a GET without body; Authorization is dropped when a redirect leaves the
  // original host or goes from https to http. Past the limit the redirect itself is returned.
  int max_redirects = 0;
};

struct Response {
  unsigned status = 0;
  Headers headers;
  std::string body;
  std::string url;  // the URL that answered, after redirects

  // The first value of a header, matched case-insensitively; "" when absent.
  std::string header(std::string_view name) const;
};

// The request never got a complete answer: DNS, connect, TLS, timeout, reset, cancel().
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Client {
 public:
  // Throws std::invalid_argument when a PEM field of `tls` cannot be loaded.
  explicit Client(TlsConfig tls = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends the request and reads the whole response; its body may be 64 MiB at most. Throws
  // TransportError (its message names the URL and what failed), or std::invalid_argument for a
  // malformed URL, method or header.
  Response send(const Request& request);

  // Sends the request and hands a 2xx response's body to on_data as it arrives (chunked or not);
  // on_data returns false to stop reading, which closes the connection (so does an exception from
  // it, which propagates). A non-2xx body is collected into Response::body instead. Returns once
  // the body ended or was stopped.
  Response stream(const Request& request, const std::function<bool(std::string_view)>& on_data);

  // Ends the call in progress, and every later one, with TransportError("cancelled"): the way to
  // stop a thread blocked in stream(). Safe from any thread.
  void cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace http
