// A small HTTP/1.1 server for tests of HTTP clients, over TLS (optionally requiring a client
// certificate) or plain TCP, on 127.0.0.1 and an ephemeral port. Each connection gets a thread
// that reads requests and hands them to the test's handler, which answers synchronously through
// a TestExchange: whole responses, heads and bodies written piece by piece, chunks, or a cut
// connection. The server records what it received and counts what it sent.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "https_test_server_certs.h"

namespace mf_test {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Whether "localhost" resolves here. Tests that need a second host name for the same server skip
// without it: a minimal root file system may have no /etc/hosts.
bool localhost_resolves();

struct ServedRequest {
  std::string method;
  std::string target;
  HeaderList headers;
  std::string body;
  int connection = 0;     // 1, 2, ... in the order connections were accepted
  std::string client_cn;  // the client certificate's common name, when one was presented

  std::string header(std::string_view name) const;  // first value, any case; "" when absent
  bool has_header(std::string_view name) const;
};

// Writes one answer. For a HEAD request, body bytes are left out (Content-Length stays).
class TestExchange {
 public:
  TestExchange(std::function<bool(std::string_view)> write, std::function<void()> cut, bool head,
               std::atomic<std::uint64_t>& body_bytes)
      : write_(std::move(write)), cut_(std::move(cut)), head_(head), body_bytes_(body_bytes) {}

  // A whole response with a Content-Length.
  void respond(unsigned status, const HeaderList& headers, std::string_view body = {});
  // The status line and exactly `headers` (the caller sets Content-Length or chunked framing).
  void send_head(unsigned status, const HeaderList& headers);
  void send_body(std::string_view bytes);
  void send_chunk(std::string_view bytes);
  void end_chunks();
  // Drops the connection now, without a TLS close_notify; nothing more is read from it.
  void close();

  bool closed() const { return closed_; }

 private:
  void write(std::string_view bytes);

  std::function<bool(std::string_view)> write_;
  std::function<void()> cut_;
  bool head_;
  std::atomic<std::uint64_t>& body_bytes_;
  bool closed_ = false;
};

class HttpsTestServer {
 public:
  struct Options {
    bool tls = true;
    CertifiedKey server_cert;   // required with tls
    std::string client_ca_pem;  // set: clients must present a certificate this CA signed
  };
  using Handler = std::function<void(const ServedRequest&, TestExchange&)>;

  HttpsTestServer(Options options, Handler handler);
  ~HttpsTestServer();  // cuts open connections and joins every thread
  HttpsTestServer(const HttpsTestServer&) = delete;
  HttpsTestServer& operator=(const HttpsTestServer&) = delete;

  std::uint16_t port() const;
  // scheme://host:port + target, e.g. url("/m.gguf") or url("/m.gguf", "localhost").
  std::string url(const std::string& target, const std::string& host = "127.0.0.1") const;

  std::vector<ServedRequest> requests() const;
  int connections() const;
  std::uint64_t body_bytes_sent() const;  // body bytes written by handlers, framing excluded

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace mf_test
