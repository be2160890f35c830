#include "http_session.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>

#include "api_errors.h"
#include "object_util.h"

namespace fakeapi {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

std::string http_date() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket socket, net::ssl::context& tls, SessionConfig config)
    : stream_(std::move(socket), tls),
      config_(std::move(config)),
      watch_timeout_(stream_.get_executor()),
      bookmark_timer_(stream_.get_executor()) {}

HttpSession::~HttpSession() {
  if (watcher_id_ != 0) config_.core->stop_watch(watcher_id_);
}

void HttpSession::run() {
  beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
  stream_.async_handshake(net::ssl::stream_base::server,
                          [self = shared_from_this()](beast::error_code ec) {
                            if (ec) return self->shutdown();
                            self->do_read();
                          });
}

void HttpSession::close(bool only_watch) {
  net::post(stream_.get_executor(), [self = shared_from_this(), only_watch] {
    if (only_watch && !self->watch_) return;
    self->shutdown();
  });
}

void HttpSession::stop_watching() {
  if (watcher_id_ != 0) {
    config_.core->stop_watch(watcher_id_);
    watcher_id_ = 0;
  }
  watch_.reset();
  watch_timeout_.cancel();
  bookmark_timer_.cancel();
}

void HttpSession::shutdown() {
  if (closed_) return;
  closed_ = true;
  stop_watching();
  beast::error_code ec;
  beast::get_lowest_layer(stream_).socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(stream_).socket().close(ec);
}

void HttpSession::do_read() {
  if (closed_) return;
  parser_.emplace();
  parser_->body_limit(64 * 1024 * 1024);
  // Idle keep-alive connections and watches are not timed out here (watches end by their own
  // timeoutSeconds); clients close them.
  beast::get_lowest_layer(stream_).expires_never();
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
}

bool HttpSession::authenticated(const HttpRequest& req) {
  SSL* ssl = stream_.native_handle();
  X509* peer = SSL_get1_peer_certificate(ssl);
  if (peer != nullptr) {
    X509_free(peer);
    if (SSL_get_verify_result(ssl) == X509_V_OK) return true;
  }
  const std::string auth = req.header("authorization");
  return auth == "Bearer " + config_.token;
}

void HttpSession::on_read(beast::error_code ec) {
  if (ec) return shutdown();
  if (watch_) return;  // a client must not send requests over a connection that is watching
  auto msg = parser_->release();
  HttpRequest req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers[name] = std::string(field.value());
  }
  req.body = std::move(msg.body());
  const bool keep_alive = msg.keep_alive();
  if (!authenticated(req)) {
    return send(status_response(401, failure_status(401, "Unauthorized", "Unauthorized")),
                keep_alive);
  }
  HandlerResult result = config_.core->handle(req);
  if (result.watch) return start_watch(*result.watch);
  send(std::move(result.response), keep_alive);
}

void HttpSession::send(HttpResponse res, bool keep_alive) {
  response_ = std::make_shared<http::response<http::string_body>>();
  auto& r = *response_;
  r.result(static_cast<unsigned>(res.status));
  r.version(11);
  r.set("Audit-Id", new_uid());
  r.set(http::field::cache_control, "no-cache, private");
  r.set(http::field::content_type, res.content_type);
  for (const auto& [k, v] : res.headers) r.insert(k, v);
  r.set(http::field::date, http_date());
  r.body() = std::move(res.body);
  r.keep_alive(keep_alive);
  r.prepare_payload();
  http::async_write(stream_, r,
                    [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                      if (ec || !keep_alive) return self->shutdown();
                      self->do_read();
                    });
}

void HttpSession::start_watch(const WatchParams& params) {
  watch_ = params;
  std::string header =
      "HTTP/1.1 200 OK\r\nAudit-Id: " + new_uid() +
      "\r\nCache-Control: no-cache, private\r\nContent-Type: application/json\r\nDate: " +
      http_date() + "\r\nTransfer-Encoding: chunked\r\n\r\n";
  enqueue(std::move(header));
  std::weak_ptr<HttpSession> weak = weak_from_this();
  auto executor = stream_.get_executor();
  WatchStart start = config_.core->start_watch(params, [weak, executor](std::string line) {
    net::post(executor, [weak, line = std::move(line)]() mutable {
      if (auto self = weak.lock(); self && self->watch_) self->enqueue(chunk(line));
    });
  });
  for (auto& line : start.initial_lines) enqueue(chunk(line));
  watcher_id_ = start.watcher_id;
  if (watcher_id_ == 0) {  // an ERROR event ends it
    end_watch(false);
    return do_read();
  }
  if (params.timeout_seconds > 0) {
    watch_timeout_.expires_after(std::chrono::seconds(params.timeout_seconds));
    watch_timeout_.async_wait([weak](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || !self->watch_) return;
      if (self->watch_->bookmarks) {
        self->enqueue(chunk(self->config_.core->bookmark_line(*self->watch_)));
      }
      self->end_watch(false);
    });
  }
  if (params.bookmarks) arm_bookmark();
  // Reading on detects the client going away.
  do_read();
}

void HttpSession::arm_bookmark() {
  bookmark_timer_.expires_after(config_.bookmark_interval);
  bookmark_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || !self->watch_) return;
    self->enqueue(chunk(self->config_.core->bookmark_line(*self->watch_)));
    self->arm_bookmark();
  });
}

void HttpSession::end_watch(bool close_after) {
  stop_watching();
  enqueue("0\r\n\r\n");
  close_after_write_ = close_after;
}

void HttpSession::enqueue(std::string data) {
  if (closed_) return;
  outbox_.push_back(std::move(data));
  if (!writing_) write_next();
}

void HttpSession::write_next() {
  if (outbox_.empty() || closed_) {
    writing_ = false;
    if (close_after_write_) shutdown();
    return;
  }
  writing_ = true;
  net::async_write(stream_, net::buffer(outbox_.front()),
                   [self = shared_from_this()](beast::error_code ec, size_t) {
                     if (ec) return self->shutdown();
                     self->outbox_.pop_front();
                     self->write_next();
                   });
}

}  // namespace fakeapi
