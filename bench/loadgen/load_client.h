// The HTTP side: keep-alive connections to the server and the exchanges over them, on Boost.Beast
// with C++20 coroutines. All of it runs on one io_context thread: a streaming request costs a
// suspended coroutine and a socket, not a thread, so hundreds of streams are cheap.
#pragma once

#include <utility>  // Boost 1.74's asio/awaitable.hpp uses std::exchange without including it
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "http_url.h"
#include "options.h"
#include "request_result.h"

namespace loadgen {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// One keep-alive connection. Opened on first use and again after the server or an error closes
// it; a worker (or, open loop, one request at a time) owns it.
class Connection {
 public:
  explicit Connection(net::any_io_executor ex) : stream_(std::move(ex)) {}

  bool is_open() const { return open_; }
  bool aborted() const { return aborted_; }
  // Closes the socket now: a pending read or write ends with an error the request reports as
  // aborted. For the end of a run, never undone.
  void abort();

 private:
  friend class LoadClient;
  void close();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bool open_ = false;
  bool aborted_ = false;
};

// A plain exchange's answer (GET /v1/models, POST /tokenize); error is empty when one came.
struct Reply {
  std::string error;
  int status = 0;
  std::string body;
};

class LoadClient {
 public:
  LoadClient(HttpUrl url, tcp::resolver::results_type endpoints, std::string api_key,
             std::chrono::duration<double> timeout);

  // Sends one completion request and measures the answer. Never throws: every failure, from
  // the connect to a broken event, is a RequestResult with ok false.
  net::awaitable<RequestResult> complete(Connection& conn, Endpoint endpoint, bool stream,
                                         const std::string& body);

  // path is below the base URL, e.g. "/v1/models"; an empty body sends none.
  net::awaitable<Reply> fetch(Connection& conn, http::verb method, const std::string& path,
                              const std::string& body);

 private:
  struct Failure {
    std::string category;  // empty: the exchange completed
    std::string detail;
    bool aborted = false;
  };
  using HeaderFn = std::function<void(int status, std::string_view content_type)>;
  using BodyFn = std::function<void(std::string_view bytes, Clock::time_point arrived)>;

  http::request<http::string_body> make_request(http::verb method, const std::string& path,
                                                const std::string& body, bool stream) const;
  // Connects when needed, writes the request, and reads the answer, handing over body bytes as
  // they arrive.
  net::awaitable<Failure> exchange(Connection& conn, const http::request<http::string_body>& req,
                                   Clock::time_point deadline, const HeaderFn& on_header,
                                   const BodyFn& on_body);

  const HttpUrl url_;
  const tcp::resolver::results_type endpoints_;
  const std::string api_key_;
  const Clock::duration timeout_;
};

}  // namespace loadgen
