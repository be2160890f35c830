// An HTTP server on 127.0.0.1 at a free port for the tests of the operator's metric readers: the
// project's own HttpServer, on an io_context that one thread runs. Handlers run on that thread;
// answers delayed with a timer on ioc() are dropped, unanswered, when the server goes away.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "http/http_server.h"

namespace test_support {

class LoopbackHttpServer {
 public:
  explicit LoopbackHttpServer(http::server::Handler handler)
      : server_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}, {}, std::move(handler),
                [](auto, const std::string& message) { return message + "\n"; }),
        thread_([this] { ioc_.run(); }) {}
  ~LoopbackHttpServer() {
    ioc_.stop();
    thread_.join();
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_.local_endpoint().port()) +
           std::string(path);
  }
  boost::asio::io_context& ioc() { return ioc_; }

 private:
  boost::asio::io_context ioc_;
  http::server::HttpServer server_;
  std::thread thread_;
};

// A loopback port nothing listens on: bound, then closed, so a connection is refused.
inline std::uint16_t closed_loopback_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

}  // namespace test_support
