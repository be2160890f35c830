#include "load_client.h"

#include <array>
#include <exception>
#include <limits>

#include "response_meter.h"

namespace loadgen {
namespace {

// redirect_error turns failures into an error_code instead of an exception: a failed request is
// an ordinary outcome here, not an exceptional one.
auto capture(beast::error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

// What a server that closed an idle keep-alive connection looks like on the next request.
bool stale_connection(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == net::error::broken_pipe;
}

}  // namespace

void Connection::abort() {
  aborted_ = true;
  close();
}

void Connection::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  buffer_.clear();
  open_ = false;
}

LoadClient::LoadClient(HttpUrl url, tcp::resolver::results_type endpoints, std::string api_key,
                       std::chrono::duration<double> timeout)
    : url_(std::move(url)),
      endpoints_(std::move(endpoints)),
      api_key_(std::move(api_key)),
      timeout_(std::chrono::duration_cast<Clock::duration>(timeout)) {}

http::request<http::string_body> LoadClient::make_request(http::verb method,
                                                          const std::string& path,
                                                          const std::string& body,
                                                          bool stream) const {
  http::request<http::string_body> req{method, url_.base_path + path, 11};
  req.set(http::field::host, url_.host_header);
  req.set(http::field::user_agent, "mistral-loadgen");
  req.set(http::field::accept, stream ? "text/event-stream" : "application/json");
  if (!api_key_.empty()) req.set(http::field::authorization, "Bearer " + api_key_);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

net::awaitable<LoadClient::Failure> LoadClient::exchange(
    Connection& conn, const http::request<http::string_body>& req, Clock::time_point deadline,
    const HeaderFn& on_header, const BodyFn& on_body) {
  beast::tcp_stream& stream = conn.stream_;
  const auto fail = [&](const char* stage, const beast::error_code& ec) {
    conn.close();
    if (conn.aborted()) return Failure{"aborted", "the run ended before the answer did", true};
    if (ec == beast::error::timeout) return Failure{"timeout", std::string(stage) + " timed out"};
    return Failure{std::string(stage) + ": " + ec.message(), ""};
  };
  if (conn.aborted()) co_return Failure{"aborted", "the run ended before the request began", true};

  for (int attempt = 0;; ++attempt) {
    const bool reused = conn.is_open();
    beast::error_code ec;
    if (!conn.is_open()) {
      stream.expires_at(deadline);
      co_await stream.async_connect(endpoints_, capture(ec));
      if (ec) co_return fail("connect", ec);
      // Requests are small writes; Nagle would hold them back waiting for an ACK.
      stream.socket().set_option(tcp::no_delay(true), ec);
      conn.open_ = true;
    }

    stream.expires_at(deadline);
    co_await http::async_write(stream, req, capture(ec));
    const char* stage = "write";
    // buffer_body hands over the body as it is parsed, which is what lets a stream be timed
    // chunk by chunk; chunked transfer encoding is undone by the parser.
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (!ec) {
      stage = "read";
      stream.expires_at(deadline);
      co_await http::async_read_header(stream, conn.buffer_, parser, capture(ec));
    }
    if (ec) {
      // The server closed the idle connection before this request: try once on a fresh one.
      // It never saw this request, so no work is done twice.
      if (reused && attempt == 0 && stale_connection(ec) && !conn.aborted()) {
        conn.close();
        continue;
      }
      co_return fail(stage, ec);
    }
    const beast::string_view content_type = parser.get()[http::field::content_type];
    on_header(static_cast<int>(parser.get().result_int()),
              std::string_view(content_type.data(), content_type.size()));

    std::array<char, 16384> piece;
    while (!parser.is_done()) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      stream.expires_at(deadline);
      co_await http::async_read_some(stream, conn.buffer_, parser, capture(ec));
      if (ec == http::error::need_buffer) ec = {};  // the piece is full: hand it over, go on
      const size_t got = piece.size() - parser.get().body().size;
      if (got > 0) on_body(std::string_view(piece.data(), got), Clock::now());
      if (ec) co_return fail("read", ec);
    }
    if (!parser.get().keep_alive()) conn.close();
    co_return Failure{};
  }
}

net::awaitable<RequestResult> LoadClient::complete(Connection& conn, Endpoint endpoint, bool stream,
                                                   const std::string& body) {
  const Clock::time_point start = Clock::now();
  try {
    const auto req = make_request(http::verb::post, endpoint_path(endpoint), body, stream);
    ResponseMeter meter(endpoint, stream, start);
    const Failure f = co_await exchange(
        conn, req, start + timeout_,
        [&](int status, std::string_view content_type) { meter.on_header(status, content_type); },
        [&](std::string_view bytes, Clock::time_point now) { meter.on_body(bytes, now); });
    if (f.category.empty()) co_return meter.finish(Clock::now());
    RequestResult r;
    r.start = start;
    r.end = Clock::now();
    r.error = f.category;
    r.detail = f.detail;
    r.aborted = f.aborted;
    co_return r;
  } catch (const std::exception& e) {
    // Only a bug or memory exhaustion gets here; still a result, not a crash.
    conn.close();
    RequestResult r;
    r.start = start;
    r.end = Clock::now();
    r.error = "client error";
    r.detail = one_line(e.what());
    co_return r;
  }
}

net::awaitable<Reply> LoadClient::fetch(Connection& conn, http::verb method,
                                        const std::string& path, const std::string& body) {
  Reply reply;
  const auto req = make_request(method, path, body, false);
  const Failure f = co_await exchange(
      conn, req, Clock::now() + timeout_,
      [&](int status, std::string_view) { reply.status = status; },
      [&](std::string_view bytes, Clock::time_point) {
        if (reply.body.size() < (16 << 20)) reply.body.append(bytes);
      });
  if (!f.category.empty())
    reply.error = f.category + (f.detail.empty() ? "" : " (" + f.detail + ")");
  co_return reply;
}

}  // namespace loadgen
