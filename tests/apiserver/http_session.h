// One HTTPS connection of the fake API server: TLS handshake, authentication (the admin client
// certificate or the static bearer token), keep-alive request/response exchanges, and watch
// streams (chunked, one JSON event per line, with bookmarks and timeoutSeconds).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before asio (Boost 1.74)

#include "api_core.h"

namespace fakeapi {

struct SessionConfig {
  ApiCore* core = nullptr;
  std::string token;
  std::chrono::milliseconds bookmark_interval{5000};
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
              SessionConfig config);
  ~HttpSession();

  void run();
  // Closes the connection (from any thread). `only_watch`: only if it is streaming a watch.
  void close(bool only_watch);

 private:
  void do_read();
  void on_read(boost::beast::error_code ec);
  bool authenticated(const HttpRequest& req);
  void send(HttpResponse res, bool keep_alive);
  void start_watch(const WatchParams& params);
  void enqueue(std::string data);
  void write_next();
  // Detaches from the watch hub and cancels the watch's timers.
  void stop_watching();
  void end_watch(bool close_after);
  void arm_bookmark();
  void shutdown();

  boost::beast::ssl_stream<boost::beast::tcp_stream> stream_;
  SessionConfig config_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::shared_ptr<boost::beast::http::response<boost::beast::http::string_body>> response_;

  // Watch state.
  std::optional<WatchParams> watch_;
  uint64_t watcher_id_ = 0;
  std::deque<std::string> outbox_;
  bool writing_ = false;
  bool close_after_write_ = false;
  boost::asio::steady_timer watch_timeout_;
  boost::asio::steady_timer bookmark_timer_;
  bool closed_ = false;
};

}  // namespace fakeapi
