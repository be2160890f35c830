#include "test_https_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <stdexcept>
#include <utility>  // before asio (Boost 1.74)

namespace fakeapi {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using Stream = beast::ssl_stream<beast::tcp_stream>;

namespace {

std::unique_ptr<net::ssl::context> make_context(const TlsCertificates& certs, bool with_cert) {
  auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
  ctx->add_certificate_authority(net::buffer(certs.ca_cert_pem));
  ctx->set_verify_mode(net::ssl::verify_peer);
  if (with_cert) {
    ctx->use_certificate_chain(net::buffer(certs.client_cert_pem));
    ctx->use_private_key(net::buffer(certs.client_key_pem), net::ssl::context::pem);
  }
  return ctx;
}

// Runs `io` until `done` or the deadline; false on timeout.
bool run_until(net::io_context& io, const bool& done,
               std::chrono::steady_clock::time_point deadline) {
  while (!done) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    io.restart();
    io.run_one_for(deadline - now);
  }
  return true;
}

ClientResponse to_response(const http::response_header<>& h) {
  ClientResponse r;
  r.status = static_cast<int>(h.result_int());
  for (const auto& f : h) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto& slot = r.headers[name];
    slot += (slot.empty() ? "" : ", ") + std::string(f.value());
  }
  return r;
}

}  // namespace

struct HttpsTestClient::Impl {
  unsigned short port;
  ClientCredentials credentials;
  std::unique_ptr<net::ssl::context> ctx;
  net::io_context io;
  std::unique_ptr<Stream> stream;
  beast::flat_buffer buffer;

  std::unique_ptr<Stream> connect(net::io_context& on,
                                  std::chrono::steady_clock::time_point deadline) {
    auto s = std::make_unique<Stream>(on, *ctx);
    bool done = false;
    beast::error_code result;
    beast::get_lowest_layer(*s).async_connect(
        net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
        [&](beast::error_code ec) {
          result = ec;
          done = true;
        });
    if (!run_until(on, done, deadline) || result) {
      throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port) + ": " +
                               result.message());
    }
    done = false;
    s->async_handshake(net::ssl::stream_base::client, [&](beast::error_code ec) {
      result = ec;
      done = true;
    });
    if (!run_until(on, done, deadline) || result) {
      throw std::runtime_error("TLS handshake failed: " + result.message());
    }
    return s;
  }

  http::request<http::string_body> make_request(const std::string& method,
                                                const std::string& target, const std::string& body,
                                                const std::string& content_type,
                                                const std::string& accept) {
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
    req.set(http::field::user_agent, "apiserver-test/v0 (linux/amd64)");
    req.set(http::field::accept, accept);
    if (!credentials.bearer_token.empty()) {
      req.set(http::field::authorization, "Bearer " + credentials.bearer_token);
    }
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      req.set(http::field::content_type, content_type);
      req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    return req;
  }
};

HttpsTestClient::HttpsTestClient(const TlsCertificates& certs, unsigned short port,
                                 ClientCredentials credentials)
    : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->credentials = std::move(credentials);
  impl_->ctx = make_context(certs, impl_->credentials.client_certificate);
}

HttpsTestClient::~HttpsTestClient() = default;

ClientResponse HttpsTestClient::request(const std::string& method, const std::string& target,
                                        const std::string& body, const std::string& content_type,
                                        const std::string& accept,
                                        std::chrono::milliseconds timeout,
                                        const std::map<std::string, std::string>& headers) {
  Impl& m = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto req = m.make_request(method, target, body, content_type, accept);
  for (const auto& [name, value] : headers) req.set(name, value);
  // One retry on a fresh connection: the server may have closed the idle one (a restart).
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!m.stream) {
      m.stream = m.connect(m.io, deadline);
      m.buffer.clear();
    }
    bool done = false;
    beast::error_code result;
    http::async_write(*m.stream, req, [&](beast::error_code ec, size_t) {
      result = ec;
      done = true;
    });
    if (!run_until(m.io, done, deadline)) throw std::runtime_error("request timed out: " + target);
    if (!result) {
      http::response<http::string_body> res;
      done = false;
      http::async_read(*m.stream, m.buffer, res, [&](beast::error_code ec, size_t) {
        result = ec;
        done = true;
      });
      if (!run_until(m.io, done, deadline))
        throw std::runtime_error("response timed out: " + target);
      if (!result) {
        ClientResponse r = to_response(res.base());
        r.body = std::move(res.body());
        if (!res.keep_alive()) m.stream.reset();
        return r;
      }
    }
    m.stream.reset();
    if (attempt == 1) throw std::runtime_error("request failed: " + result.message());
  }
  throw std::runtime_error("unreachable");
}

namespace {

class WatchImpl : public HttpsTestClient::Watch {
 public:
  WatchImpl() = default;
  net::io_context io;
  std::unique_ptr<Stream> stream;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  ClientResponse head;
  size_t consumed = 0;
  bool finished = false;

  const ClientResponse& response() const override { return head; }
  bool ended() const override { return finished; }

  std::optional<nlohmann::json> next(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      std::string& body = parser.get().body();
      const size_t nl = body.find('\n', consumed);
      if (nl != std::string::npos) {
        std::string line = body.substr(consumed, nl - consumed);
        consumed = nl + 1;
        return nlohmann::json::parse(line, nullptr, false);
      }
      if (finished) return std::nullopt;
      bool done = false;
      beast::error_code result;
      http::async_read_some(*stream, buffer, parser, [&](beast::error_code ec, size_t) {
        result = ec;
        done = true;
      });
      if (!run_until(io, done, deadline)) {
        // Leave no operation pending on a stream that the next call reads again.
        beast::get_lowest_layer(*stream).cancel();
        run_until(io, done, std::chrono::steady_clock::now() + std::chrono::seconds(5));
        return std::nullopt;
      }
      if (result || parser.is_done()) finished = true;
    }
  }
};

}  // namespace

std::unique_ptr<HttpsTestClient::Watch> HttpsTestClient::watch(const std::string& target,
                                                               const std::string& accept) {
  auto w = std::make_unique<WatchImpl>();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  w->stream = impl_->connect(w->io, deadline);
  auto req = impl_->make_request("GET", target, "", "", accept);
  bool done = false;
  beast::error_code result;
  http::async_write(*w->stream, req, [&](beast::error_code ec, size_t) {
    result = ec;
    done = true;
  });
  if (!run_until(w->io, done, deadline) || result) throw std::runtime_error("watch request failed");
  w->parser.body_limit(boost::none);
  done = false;
  http::async_read_header(*w->stream, w->buffer, w->parser, [&](beast::error_code ec, size_t) {
    result = ec;
    done = true;
  });
  if (!run_until(w->io, done, deadline) || result)
    throw std::runtime_error("watch response failed");
  w->head = to_response(w->parser.get().base());
  if (w->parser.is_done()) w->finished = true;
  return w;
}

}  // namespace fakeapi
