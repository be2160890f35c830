// HTTP/1.1 over TCP or TLS with Beast. Every step is an asynchronous operation on a private
// io_context that the calling thread runs until the step completes: that is what lets a
// tcp_stream's expiry bound a TLS read, and what lets cancel() post a close onto the thread that
// does the I/O instead of touching its sockets from another thread.
#include "http/http_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <limits>
#include <optional>
#include <utility>

namespace http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using DataHandler = std::function<bool(std::string_view)>;

// Bodies held in memory (send(), and non-2xx answers to stream()) stop here.
constexpr std::uint64_t kMaxBodyBytes = 64ull << 20;
constexpr std::uint32_t kMaxHeaderBytes = 64 << 10;
constexpr std::size_t kReadChunkBytes = 64 << 10;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f ||
        std::string_view("\"(),/:;<=>?@[\\]{}").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::uint16_t default_port(const std::string& scheme) { return scheme == "https" ? 443 : 80; }

std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// The Host header's form: the port only when it is not the scheme's default.
std::string authority(const Url& u) {
  std::string a = bracketed(u.host);
  if (u.port != default_port(u.scheme)) a += ":" + std::to_string(u.port);
  return a;
}

std::string url_text(const Url& u) { return u.scheme + "://" + authority(u) + u.target; }

// RFC 3986, 5.2.4, for a path that starts with '/'.
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  bool trailing_slash = false;
  for (std::size_t pos = 0; pos < path.size();) {
    const std::size_t start = pos + 1;
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    trailing_slash = segment == "." || segment == "..";
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (segment != ".") {
      segments.push_back(segment);
    }
    pos = end;
  }
  std::string out;
  for (std::string_view s : segments) (out += '/') += s;
  if (trailing_slash || out.empty()) out += '/';
  return out;
}

// A Location header against the URL that sent it: absolute, scheme-relative, absolute-path or
// relative-path references.
std::string resolve_location(const Url& base, std::string_view location) {
  location = location.substr(0, location.find('#'));
  const std::size_t colon = location.find(':');
  const std::size_t delimiter = location.find_first_of("/?");
  if (colon != std::string_view::npos &&
      (delimiter == std::string_view::npos || colon < delimiter)) {
    return std::string(location);
  }
  if (location.starts_with("//")) return base.scheme + ":" + std::string(location);
  const std::string_view base_target = base.target;
  const std::string_view base_path = base_target.substr(0, base_target.find('?'));
  const std::size_t q = location.find('?');
  const std::string_view path = location.substr(0, q);
  const std::string query(q == std::string_view::npos ? std::string_view() : location.substr(q));
  std::string resolved;
  if (path.empty()) {
    resolved = std::string(q == std::string_view::npos ? base_target : base_path) + query;
  } else if (path[0] == '/') {
    resolved = remove_dot_segments(path) + query;
  } else {
    const std::string merged =
        std::string(base_path.substr(0, base_path.rfind('/') + 1)) + std::string(path);
    resolved = remove_dot_segments(merged) + query;
  }
  return base.scheme + "://" + authority(base) + resolved;
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

void erase_header(Headers& headers, std::string_view name) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
}

void validate(const Request& request) {
  if (!is_token(request.method)) {
    throw std::invalid_argument("invalid HTTP method '" + request.method + "'");
  }
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name)) throw std::invalid_argument("invalid HTTP header name '" + name + "'");
    for (char c : value) {
      if (c == '\r' || c == '\n' || c == '\0') {
        throw std::invalid_argument("HTTP header '" + name +
                                    "' has a line break or NUL in its value");
      }
    }
  }
}

std::string ssl_error_text() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

// One open connection to one origin.
struct Connection {
  std::string origin;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Url

Url Url::parse(std::string_view text) {
  const auto fail = [&](const std::string& why) {
    throw std::invalid_argument("invalid URL '" + std::string(text) + "': " + why);
  };
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) fail("it contains a space or a control character");
  }
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) fail("no scheme (expected http:// or https://)");
  Url url;
  url.scheme = lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") fail("the scheme must be http or https");

  std::string_view rest = text.substr(sep + 3);
  rest = rest.substr(0, rest.find('#'));
  const std::size_t path_start = rest.find_first_of("/?");
  std::string_view host_port = rest.substr(0, path_start);
  url.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (url.target[0] == '?') url.target.insert(0, "/");
  if (host_port.find('@') != std::string_view::npos) {
    fail("credentials in the URL (user@host) are not supported");
  }

  std::optional<std::string_view> port_text;
  if (host_port.starts_with('[')) {
    const std::size_t close = host_port.find(']');
    if (close == std::string_view::npos) fail("unterminated IPv6 address");
    url.host = lower(host_port.substr(1, close - 1));
    beast::error_code ec;
    asio::ip::make_address_v6(url.host, ec);
    if (ec) fail("'" + url.host + "' is not an IPv6 address");
    const std::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') fail("unexpected text after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = host_port.rfind(':');
    if (colon != std::string_view::npos) {
      port_text = host_port.substr(colon + 1);
      host_port = host_port.substr(0, colon);
    }
    url.host = lower(host_port);
    for (char c : url.host) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_' &&
          c != '~') {
        fail("invalid character '" + std::string(1, c) + "' in the host");
      }
    }
  }
  if (url.host.empty()) fail("no host");

  if (port_text) {
    unsigned long port = 0;
    if (port_text->empty() || port_text->size() > 5) fail("invalid port");
    for (char c : *port_text) {
      if (c < '0' || c > '9') fail("invalid port '" + std::string(*port_text) + "'");
      port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (port == 0 || port > 65535) fail("port out of range");
    url.port = static_cast<std::uint16_t>(port);
  } else {
    url.port = default_port(url.scheme);
  }
  return url;
}

std::string Url::origin() const {
  return scheme + "://" + bracketed(host) + ":" + std::to_string(port);
}

std::string Response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Client

struct Client::Impl {
  explicit Impl(TlsConfig config);

  Response perform(const Request& request, const DataHandler* on_data);
  Response exchange(const Url& url, const std::string& where, const std::string& method,
                    const Headers& headers, const std::string& body, const DataHandler* on_data,
                    std::chrono::milliseconds timeout, Clock::time_point deadline);
  bool ensure_connection(const Url& url, const std::string& where, Clock::time_point deadline);
  void handshake(const Url& url, const std::string& where, Clock::time_point deadline);
  void abort_io();

  // Starts one asynchronous operation and runs the io_context until it (and any cancellation
  // posted meanwhile) completed.
  template <class Start>
  beast::error_code run(Start&& start) {
    beast::error_code result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }
  // The same over whichever stream the connection has.
  template <class Op>
  beast::error_code io(Op&& op) {
    if (conn->secure) return run([&](auto handler) { op(*conn->secure, handler); });
    return run([&](auto handler) { op(*conn->plain, handler); });
  }

  [[noreturn]] void fail(const std::string& where, const std::string& what, beast::error_code ec);
  void check_cancelled(const std::string& where) const;

  asio::io_context ioc;  // first, so it outlives everything bound to its executor
  TlsConfig tls;
  asio::ssl::context ssl_ctx{asio::ssl::context::tls_client};
  tcp::resolver resolver{ioc};
  asio::steady_timer resolve_timer{ioc};
  std::unique_ptr<Connection> conn;
  std::atomic<bool> cancelled{false};
  std::vector<char> chunk = std::vector<char>(kReadChunkBytes);
};

Client::Impl::Impl(TlsConfig config) : tls(std::move(config)) {
  SSL_CTX_set_min_proto_version(ssl_ctx.native_handle(), TLS1_2_VERSION);
  if (tls.insecure_skip_verify) {
    ssl_ctx.set_verify_mode(asio::ssl::verify_none);
  } else {
    ssl_ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::error_code ec;
    if (tls.ca_pem.empty()) {
      ssl_ctx.set_default_verify_paths(ec);
      if (ec)
        throw std::invalid_argument("TLS: cannot load the system's CA store: " + ec.message());
    } else {
      ssl_ctx.add_certificate_authority(asio::buffer(tls.ca_pem), ec);
      if (ec) throw std::invalid_argument("TLS ca_pem: no usable PEM certificate: " + ec.message());
    }
  }
  if (tls.client_cert_pem.empty() != tls.client_key_pem.empty()) {
    throw std::invalid_argument("TLS: the client certificate and key must be given together");
  }
  if (!tls.client_cert_pem.empty()) {
    beast::error_code ec;
    ssl_ctx.use_certificate_chain(asio::buffer(tls.client_cert_pem), ec);
    if (ec)
      throw std::invalid_argument("TLS client_cert_pem: not a PEM certificate: " + ec.message());
    ssl_ctx.use_private_key(asio::buffer(tls.client_key_pem), asio::ssl::context::pem, ec);
    if (ec)
      throw std::invalid_argument("TLS client_key_pem: not a matching PEM key: " + ec.message());
  }
}

void Client::Impl::check_cancelled(const std::string& where) const {
  if (cancelled.load()) throw TransportError(where + ": cancelled");
}

void Client::Impl::fail(const std::string& where, const std::string& what, beast::error_code ec) {
  conn.reset();
  check_cancelled(where);
  if (ec == beast::error::timeout) throw TransportError(where + ": " + what + " timed out");
  throw TransportError(where + ": " + what + " failed: " + ec.message());
}

void Client::Impl::abort_io() {
  resolver.cancel();
  resolve_timer.cancel();
  if (conn) conn->tcp().close();
}

// Returns whether an open connection to the URL's origin was reused.
bool Client::Impl::ensure_connection(const Url& url, const std::string& where,
                                     Clock::time_point deadline) {
  const std::string origin = url.origin();
  if (conn && conn->origin == origin) return true;
  conn.reset();

  // The resolver has no expiry of its own: a timer cancels it. Asio cannot interrupt the
  // getaddrinfo() it runs on its own thread, though: a cancelled lookup still ends when that does.
  beast::error_code ec;
  bool resolve_timed_out = false;
  tcp::resolver::results_type endpoints;
  resolve_timer.expires_at(deadline);
  resolve_timer.async_wait([&](beast::error_code e) {
    if (!e) {
      resolve_timed_out = true;
      resolver.cancel();
    }
  });
  resolver.async_resolve(url.host, std::to_string(url.port),
                         [&](beast::error_code e, tcp::resolver::results_type results) {
                           ec = e;
                           endpoints = std::move(results);
                           resolve_timer.cancel();
                         });
  ioc.restart();
  ioc.run();
  const std::string resolving = "resolving host '" + url.host + "'";
  if (resolve_timed_out) fail(where, resolving, beast::error::timeout);
  if (ec) fail(where, resolving, ec);
  check_cancelled(where);

  conn = std::make_unique<Connection>();
  conn->origin = origin;
  if (url.scheme == "https") {
    conn->secure.emplace(ioc, ssl_ctx);
  } else {
    conn->plain.emplace(ioc);
  }
  conn->tcp().expires_at(deadline);
  ec = run([&](auto handler) { conn->tcp().async_connect(endpoints, handler); });
  if (ec) fail(where, "connecting to " + bracketed(url.host) + ":" + std::to_string(url.port), ec);
  // Requests go out in a few small writes (TLS records, head and body): no Nagle delays.
  conn->tcp().socket().set_option(tcp::no_delay(true), ec);
  if (conn->secure) handshake(url, where, deadline);
  return false;
}

void Client::Impl::handshake(const Url& url, const std::string& where, Clock::time_point deadline) {
  SSL* ssl = conn->secure->native_handle();
  const bool ip = is_ip_literal(url.host);
  // SNI carries names only (RFC 6066); the certificate check covers both names and addresses.
  if (!ip && SSL_set_tlsext_host_name(ssl, url.host.c_str()) != 1) {
    conn.reset();
    throw TransportError(where + ": setting the TLS server name failed: " + ssl_error_text());
  }
  if (!tls.insecure_skip_verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str())
                      : X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size());
    if (ok != 1) {
      conn.reset();
      throw TransportError(where + ": setting the TLS host check failed: " + ssl_error_text());
    }
  }
  conn->tcp().expires_at(deadline);
  const beast::error_code ec = run([&](auto handler) {
    conn->secure->async_handshake(asio::ssl::stream_base::client, handler);
  });
  if (!ec) return;
  const long verify = SSL_get_verify_result(ssl);
  if (!cancelled.load() && ec != beast::error::timeout && verify != X509_V_OK) {
    conn.reset();
    throw TransportError(where + ": TLS handshake failed: certificate verify failed: " +
                         X509_verify_cert_error_string(verify));
  }
  fail(where, "TLS handshake", ec);
}

Response Client::Impl::exchange(const Url& url, const std::string& where, const std::string& method,
                                const Headers& headers, const std::string& body,
                                const DataHandler* on_data, std::chrono::milliseconds timeout,
                                Clock::time_point deadline) {
  bhttp::request<bhttp::string_body> req;
  req.version(11);
  if (const bhttp::verb verb = bhttp::string_to_verb(method); verb != bhttp::verb::unknown) {
    req.method(verb);
  } else {
    req.method_string(method);
  }
  req.target(url.target);
  req.set(bhttp::field::host, authority(url));
  req.set(bhttp::field::user_agent, "mistral-fleet");
  for (const auto& [name, value] : headers) {
    if (iequals(name, "host") || iequals(name, "user-agent")) {
      req.set(name, value);
    } else {
      req.insert(name, value);
    }
  }
  req.body() = body;
  req.prepare_payload();

  for (int attempt = 0;; ++attempt) {
    check_cancelled(where);
    const bool reused = ensure_connection(url, where, deadline);
    bhttp::response_parser<bhttp::buffer_body> parser;
    // Not boost::none: Boost 1.74 compares a Content-Length against an empty limit as exceeding.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    parser.header_limit(kMaxHeaderBytes);
    if (method == "HEAD") parser.skip(true);

    conn->tcp().expires_at(deadline);
    beast::error_code ec =
        io([&](auto& stream, auto handler) { bhttp::async_write(stream, req, handler); });
    const bool sent = !ec;
    if (sent) {
      conn->tcp().expires_at(deadline);
      ec = io([&](auto& stream, auto handler) {
        bhttp::async_read_header(stream, conn->buffer, parser, handler);
      });
    }
    if (ec) {
      // A server may close a kept-alive connection just as it is reused: when it answered
      // nothing, the request goes once more on a fresh connection.
      if (reused && attempt == 0 && !parser.got_some() && ec != beast::error::timeout &&
          !cancelled.load()) {
        conn.reset();
        continue;
      }
      fail(where, sent ? "reading the response" : "sending the request", ec);
    }

    Response response;
    response.status = parser.get().result_int();
    for (const auto& field : parser.get()) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    const bool deliver = on_data && response.status >= 200 && response.status < 300;
    const auto too_big = [&](std::uint64_t bytes) {
      conn.reset();
      throw TransportError(where + ": the response body (" + std::to_string(bytes) +
                           " bytes or more) exceeds the limit of " +
                           std::to_string(kMaxBodyBytes >> 20) + " MiB");
    };
    // A HEAD answer announces a length it does not send; so may a 204 or 304.
    if (const auto length = parser.content_length();
        !deliver && !parser.is_done() && length && *length > kMaxBodyBytes) {
      too_big(*length);
    }

    bool stopped = false;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      if (on_data) {
        conn->tcp().expires_after(timeout);
      } else {
        conn->tcp().expires_at(deadline);
      }
      ec = io([&](auto& stream, auto handler) {
        bhttp::async_read_some(stream, conn->buffer, parser, handler);
      });
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) fail(where, "reading the response body", ec);
      const std::size_t n = chunk.size() - parser.get().body().size;
      if (n == 0) continue;
      const std::string_view piece(chunk.data(), n);
      if (deliver) {
        bool more = false;
        try {
          more = (*on_data)(piece);
        } catch (...) {
          conn.reset();
          throw;
        }
        if (!more) {
          stopped = true;
          break;
        }
      } else {
        if (response.body.size() + n > kMaxBodyBytes) too_big(response.body.size() + n);
        response.body.append(piece);
      }
    }
    if (stopped || !parser.keep_alive()) conn.reset();
    return response;
  }
}

Response Client::Impl::perform(const Request& request, const DataHandler* on_data) {
  check_cancelled(request.url);
  validate(request);
  const Url original = Url::parse(request.url);
  Url url = original;
  std::string method = request.method;
  std::string body = request.body;
  Headers headers = request.headers;
  Clock::time_point deadline = Clock::now() + request.timeout;
  for (int redirects = 0;; ++redirects) {
    const std::string where = url_text(url);
    Headers hop_headers = headers;
    const bool downgraded = original.scheme == "https" && url.scheme == "http";
    if (url.host != original.host || downgraded) erase_header(hop_headers, "Authorization");
    if (on_data) deadline = Clock::now() + request.timeout;
    Response response =
        exchange(url, where, method, hop_headers, body, on_data, request.timeout, deadline);
    response.url = where;
    const std::string location = response.header("Location");
    if (!is_redirect(response.status) || location.empty() || redirects >= request.max_redirects) {
      return response;
    }
    try {
      url = Url::parse(resolve_location(url, location));
    } catch (const std::invalid_argument& e) {
      throw TransportError(where + ": redirected (" + std::to_string(response.status) +
                           ") to an unusable location: " + e.what());
    }
    if (response.status == 303 && method != "HEAD") {
      method = "GET";
      body.clear();
      erase_header(headers, "Content-Type");
      erase_header(headers, "Content-Length");
    }
  }
}

Client::Client(TlsConfig tls) : impl_(std::make_unique<Impl>(std::move(tls))) {}

Client::~Client() = default;

Response Client::send(const Request& request) { return impl_->perform(request, nullptr); }

Response Client::stream(const Request& request,
                        const std::function<bool(std::string_view)>& on_data) {
  return impl_->perform(request, &on_data);
}

void Client::cancel() {
  impl_->cancelled = true;
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->abort_io(); });
}

}  // namespace http
