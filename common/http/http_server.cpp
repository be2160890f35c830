#include "http/http_server.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <sstream>

namespace http::server {

namespace beast = boost::beast;

// One connection: read a request, hand it to the handler, write what the Exchange produces, and
// read the next once the answer is complete. Lives as long as an operation holds it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpLimits& limits, const Handler& handler,
          const ErrorResponder& error_body, std::shared_ptr<std::atomic<int>> connections,
          std::shared_ptr<std::atomic<int>> busy, std::shared_ptr<std::atomic<bool>> closing)
      : stream_(std::move(socket)),
        limits_(limits),
        handler_(handler),
        error_body_(error_body),
        connections_(std::move(connections)),
        busy_(std::move(busy)),
        closing_(std::move(closing)) {
    ++*connections_;
  }
  ~Session() { --*connections_; }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_request(); });
  }

  // Called on the strand through Exchange: bytes of the answer; `complete` with the last ones.
  void queue_answer(std::string bytes, bool complete) {
    if (answered_ || !in_exchange_) return;
    if (complete) answered_ = true;
    queue(std::move(bytes));
  }
  void set_disconnect_handler(std::function<void()> fn) {
    if (gone_) {
      fn();
      return;
    }
    on_disconnect_ = std::move(fn);
  }
  bool keep_alive() const { return keep_alive_; }
  bool head_request() const { return head_request_; }
  void set_keep_alive(bool on) { keep_alive_ = on; }
  bool http10() const { return http10_; }
  net::any_io_executor executor() { return stream_.get_executor(); }

 private:
  void read_request() {
    if (closing_->load()) return close();
    parser_.emplace();
    parser_->body_limit(limits_.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(limits_.max_header_bytes));
    stream_.expires_after(first_request_ ? limits_.read_timeout : limits_.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  // The header decides before any body is read: a declared length over the limit is refused at
  // once, and a client waiting on "Expect: 100-continue" is told to go on.
  void on_header(beast::error_code ec) {
    if (ec) return on_request(ec);
    stream_.expires_after(limits_.read_timeout);
    const auto length = parser_->content_length();
    if (length && *length > limits_.max_body_bytes) return on_request(http::error::body_limit);
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue),
                       [self = shared_from_this()](beast::error_code e, size_t) {
                         if (e) return self->abort_connection();
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_request(ec); });
  }

  void on_request(beast::error_code ec) {
    first_request_ = false;
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted) {
      return abort_connection();
    }
    if (ec) {
      const http::status status = ec == http::error::body_limit ? http::status::payload_too_large
                                  : ec == http::error::header_limit
                                      ? http::status::request_header_fields_too_large
                                      : http::status::bad_request;
      const std::string message =
          ec == http::error::body_limit
              ? "the request body exceeds " + std::to_string(limits_.max_body_bytes) + " bytes"
              : "malformed HTTP request: " + ec.message();
      keep_alive_ = false;
      ++*busy_;
      in_exchange_ = true;
      answered_ = false;
      queue_answer(serialize_error(status, message), true);
      return;
    }
    Request req = parser_->release();
    keep_alive_ = req.keep_alive();
    head_request_ = req.method() == http::verb::head;
    http10_ = req.version() == 10;
    in_exchange_ = true;
    answered_ = false;
    ++*busy_;
    stream_.expires_never();
    watch_for_disconnect();
    try {
      handler_(req, std::make_shared<Exchange>(shared_from_this()));
    } catch (const std::exception& e) {
      spdlog::error("handler failed on {} {}: {}", std::string(req.method_string()),
                    std::string(req.target()), e.what());
      keep_alive_ = false;  // the error response says Connection: close
      queue_answer(serialize_error(http::status::internal_server_error, e.what()), true);
    }
  }

  std::string serialize_error(http::status status, const std::string& message) {
    http::response<http::string_body> res{status, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = error_body_(status, message);
    res.keep_alive(false);
    res.prepare_payload();
    std::ostringstream os;
    os << res;
    return os.str();
  }

  // While the answer is being prepared nothing else is read, so a readable socket means the
  // client either sent more (pipelining: fine) or closed (cancel the work).
  void watch_for_disconnect() {
    stream_.socket().async_wait(tcp::socket::wait_read,
                                [self = shared_from_this(), gen = exchange_gen_](
                                    beast::error_code ec) { self->on_readable(ec, gen); });
  }

  void on_readable(beast::error_code ec, uint64_t gen) {
    if (gen != exchange_gen_ || !in_exchange_) return;
    if (ec == net::error::operation_aborted) return;
    if (!ec) {
      // Never block the io thread on a spurious wake-up.
      char byte;
      const ssize_t n = ::recv(stream_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n > 0) return;  // a pipelined request: it waits until this answer is done
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return watch_for_disconnect();
      }
    }
    client_gone();
  }

  void client_gone() {
    if (gone_) return;
    gone_ = true;
    if (on_disconnect_) std::exchange(on_disconnect_, nullptr)();
    abort_connection();
  }

  // A client that reads slower than the engine writes is dropped (and its work cancelled) once
  // this much waits unsent, rather than buffering without end.
  static constexpr size_t kMaxPendingBytes = 16 << 20;

  void queue(std::string bytes) {
    pending_bytes_ += bytes.size();
    pending_ += bytes;
    if (pending_bytes_ > kMaxPendingBytes) {
      spdlog::warn("dropping a client that does not read: {} bytes unsent", pending_bytes_);
      return client_gone();
    }
    if (!writing_) write_next();
  }

  // Everything queued goes out in one write: many small stream events cost one system call.
  void write_next() {
    if (pending_.empty()) {
      writing_ = false;
      if (answered_ && in_exchange_) finish_exchange();
      return;
    }
    writing_ = true;
    writing_buf_ = std::exchange(pending_, {});
    stream_.expires_after(limits_.write_timeout);
    net::async_write(stream_, net::buffer(writing_buf_),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->pending_bytes_ -= self->writing_buf_.size();
                       self->writing_buf_.clear();
                       if (ec) {
                         self->writing_ = false;
                         self->pending_.clear();
                         self->pending_bytes_ = 0;
                         self->client_gone();
                         return;
                       }
                       self->write_next();
                     });
  }

  void finish_exchange() {
    in_exchange_ = false;
    ++exchange_gen_;
    --*busy_;
    on_disconnect_ = nullptr;
    if (gone_) return abort_connection();
    if (!keep_alive_) return close();
    // Stop watching the socket before reading from it again.
    beast::error_code ec;
    stream_.socket().cancel(ec);
    read_request();
  }

  // After the last answer on this connection: stop sending, then read and drop whatever the
  // client still sends (an oversized body, say) for a bounded time, so that closing does not
  // reset the connection before the client has read the answer.
  void close() {
    end_exchange();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return abort_connection();
    linger_deadline_ = std::chrono::steady_clock::now() + kLingerTime;
    discard_.resize(16384);
    linger();
  }

  void linger() {
    stream_.expires_at(linger_deadline_);
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > kLingerBytes) {
                                return self->abort_connection();
                              }
                              self->linger();
                            });
  }

  void abort_connection() {
    end_exchange();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  void end_exchange() {
    if (in_exchange_) {
      in_exchange_ = false;
      --*busy_;
    }
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpLimits limits_;
  const Handler& handler_;
  const ErrorResponder& error_body_;
  std::shared_ptr<std::atomic<int>> connections_, busy_;
  std::shared_ptr<std::atomic<bool>> closing_;
  std::string pending_;       // queued, not yet being written
  std::string writing_buf_;   // being written
  size_t pending_bytes_ = 0;  // both together
  static constexpr auto kLingerTime = std::chrono::seconds(5);
  static constexpr size_t kLingerBytes = 64 << 20;
  std::vector<char> discard_;  // allocated only when lingering
  size_t lingered_ = 0;
  std::chrono::steady_clock::time_point linger_deadline_;
  std::function<void()> on_disconnect_;
  uint64_t exchange_gen_ = 0;
  bool first_request_ = true;
  bool keep_alive_ = true;
  bool head_request_ = false;
  bool http10_ = false;
  bool writing_ = false;
  bool in_exchange_ = false;
  bool answered_ = false;
  bool gone_ = false;
};

namespace {

std::string chunk(const std::string& data) {
  std::ostringstream os;
  os << std::hex << data.size() << "\r\n" << data << "\r\n";
  return os.str();
}

}  // namespace

void Exchange::respond(http::status status, std::string content_type, std::string body,
                       std::vector<std::pair<std::string, std::string>> extra_headers) {
  net::post(session_->executor(), [s = session_, status, ct = std::move(content_type),
                                   body = std::move(body), extra = std::move(extra_headers)] {
    http::response<http::string_body> res{status, 11};
    res.set(http::field::server, "mistral-engine");
    res.set(http::field::content_type, ct);
    for (const auto& [k, v] : extra) res.set(k, v);
    res.keep_alive(s->keep_alive());
    res.body() = body;
    res.prepare_payload();
    if (s->head_request()) res.body().clear();  // the length of what GET would send, no body
    std::ostringstream os;
    os << res;
    s->queue_answer(os.str(), true);
  });
}

// HTTP/1.0 has no chunked encoding: such a client gets the bare body, ended by closing.
void Exchange::start_stream(std::string content_type) {
  net::post(session_->executor(), [s = session_, ct = std::move(content_type)] {
    if (s->http10()) s->set_keep_alive(false);
    std::string head = std::string(s->http10() ? "HTTP/1.0" : "HTTP/1.1") +
                       " 200 OK\r\nServer: mistral-engine\r\nContent-Type: " + ct +
                       "\r\nCache-Control: no-cache\r\n" +
                       (s->http10() ? "" : "Transfer-Encoding: chunked\r\n") +
                       "Connection: " + (s->keep_alive() ? "keep-alive" : "close") + "\r\n\r\n";
    s->queue_answer(std::move(head), false);
  });
}

void Exchange::send_chunk(std::string data) {
  if (data.empty()) return;  // an empty chunk would end the stream
  net::post(session_->executor(), [s = session_, d = std::move(data)] {
    s->queue_answer(s->http10() ? d : chunk(d), false);
  });
}

void Exchange::end_stream() {
  net::post(session_->executor(),
            [s = session_] { s->queue_answer(s->http10() ? "" : "0\r\n\r\n", true); });
}

void Exchange::defer(std::function<void()> fn) { net::post(session_->executor(), std::move(fn)); }

void Exchange::on_disconnect(std::function<void()> fn) {
  net::post(session_->executor(),
            [s = session_, fn = std::move(fn)]() mutable { s->set_disconnect_handler(fn); });
}

HttpServer::HttpServer(net::io_context& ioc, const tcp::endpoint& endpoint, HttpLimits limits,
                       Handler handler, ErrorResponder error_body)
    : ioc_(ioc),
      acceptor_(ioc),
      retry_timer_(ioc),
      limits_(limits),
      handler_(std::move(handler)),
      error_body_(std::move(error_body)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  accept();
}

void HttpServer::stop_accepting() {
  closing_->store(true);
  beast::error_code ec;
  acceptor_.close(ec);
}

void HttpServer::accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of file descriptors, most likely: retrying at once would spin.
      spdlog::warn("accept failed: {}; retrying in 100 ms", ec.message());
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([this](beast::error_code e) {
        if (!e) accept();
      });
      return;
    }
    if (connections_->load() >= limits_.max_connections) {
      spdlog::warn("refusing a connection: {} open", connections_->load());
      socket.close(ec);
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), limits_, handler_, error_body_, connections_,
                                busy_, closing_)
          ->start();
    }
    accept();
  });
}

int default_max_connections() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 4096;
  // Leave descriptors for the model file, logs and the listener; past a few thousand, more
  // connections only mean more memory held by idle or hostile clients.
  return static_cast<int>(std::clamp<rlim_t>(rl.rlim_cur, 80, 8192 + 64) - 64);
}

}  // namespace http::server
