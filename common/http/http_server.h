// An async HTTP/1.1 server on Boost.Beast, for the engine's API and the operator's metrics and
// probes: one Session object per connection, keep-alive, bounded headers and bodies, timeouts for
// slow clients, and responses that are either whole or streamed (chunked, for server-sent events).
// Handlers answer through an Exchange, from any thread.
#pragma once

#include <atomic>
#include <utility>  // Boost 1.74's asio/awaitable.hpp uses std::exchange without including it
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace http::server {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;

// What the process's file-descriptor limit allows, less a reserve.
int default_max_connections();

struct HttpLimits {
  size_t max_body_bytes = 8 << 20;
  size_t max_header_bytes = 16 << 10;
  std::chrono::seconds read_timeout{30};   // a request's headers and body
  std::chrono::seconds idle_timeout{120};  // between keep-alive requests
  std::chrono::seconds write_timeout{60};  // one write to a client that stopped reading
  int max_connections = default_max_connections();
};

class Session;

// One request's answer. Exactly one of respond() or start_stream()..end_stream() is used. Methods
// may be called from any thread; they hand the work to the connection's strand.
class Exchange {
 public:
  explicit Exchange(std::shared_ptr<Session> session) : session_(std::move(session)) {}

  void respond(http::status status, std::string content_type, std::string body,
               std::vector<std::pair<std::string, std::string>> extra_headers = {});
  void start_stream(std::string content_type);
  void send_chunk(std::string data);
  void end_stream();
  // `fn` runs once, on the strand, if the client goes away before the answer is complete; at
  // once if it already has.
  void on_disconnect(std::function<void()> fn);
  // Runs `fn` on the connection's strand: work that should not hold up the caller's thread.
  void defer(std::function<void()> fn);

 private:
  std::shared_ptr<Session> session_;
};

using Handler = std::function<void(const Request&, std::shared_ptr<Exchange>)>;
// Answers a request that could not be parsed (bad syntax, body too large) with this status and
// message; the connection closes after it.
using ErrorResponder = std::function<std::string(http::status, const std::string& message)>;

class HttpServer {
 public:
  HttpServer(net::io_context& ioc, const tcp::endpoint& endpoint, HttpLimits limits,
             Handler handler, ErrorResponder error_body);

  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  // Stops accepting; idle keep-alive connections close at their next read.
  void stop_accepting();
  // Requests being answered right now.
  int busy() const { return busy_->load(); }

 private:
  void accept();

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  HttpLimits limits_;
  Handler handler_;
  ErrorResponder error_body_;
  std::shared_ptr<std::atomic<int>> connections_ = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> busy_ = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<bool>> closing_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace http::server
