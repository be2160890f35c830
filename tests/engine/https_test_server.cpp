#include "https_test_server.h"

#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

namespace mf_test {

bool localhost_resolves() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const bool ok = ::getaddrinfo("localhost", nullptr, &hints, &found) == 0;
  if (found) ::freeaddrinfo(found);
  return ok;
}

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string peer_common_name(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return "";
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  X509_free(cert);
  return cn;
}

}  // namespace

std::string ServedRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (same_name(k, name)) return v;
  }
  return "";
}

bool ServedRequest::has_header(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return same_name(h.first, name); });
}

void TestExchange::write(std::string_view bytes) {
  if (closed_) return;
  if (!write_(bytes)) closed_ = true;
}

void TestExchange::respond(unsigned status, const HeaderList& headers, std::string_view body) {
  HeaderList all = headers;
  all.emplace_back("Content-Length", std::to_string(body.size()));
  send_head(status, all);
  send_body(body);
}

void TestExchange::send_head(unsigned status, const HeaderList& headers) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " +
                     std::string(bhttp::obsolete_reason(bhttp::int_to_status(status))) + "\r\n";
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  write(head + "\r\n");
}

void TestExchange::send_body(std::string_view bytes) {
  if (head_ || bytes.empty()) return;
  write(bytes);
  if (!closed_) body_bytes_ += bytes.size();
}

void TestExchange::send_chunk(std::string_view bytes) {
  if (head_ || bytes.empty()) return;
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  write(std::string(size) + std::string(bytes) + "\r\n");
  if (!closed_) body_bytes_ += bytes.size();
}

void TestExchange::end_chunks() {
  if (!head_) write("0\r\n\r\n");
}

void TestExchange::close() {
  if (closed_) return;
  closed_ = true;
  cut_();
}

struct HttpsTestServer::State {
  Options options;
  Handler handler;
  asio::io_context ioc;
  std::optional<asio::ssl::context> ssl;
  tcp::acceptor acceptor{ioc};
  std::uint16_t port = 0;
  std::thread accept_thread;

  mutable std::mutex mutex;
  bool stopping = false;
  std::vector<std::thread> threads;
  std::set<int> open_fds;  // shut down on stop; removed before the socket closes
  std::vector<ServedRequest> requests;
  int connections = 0;
  std::atomic<std::uint64_t> body_bytes{0};

  void accept_loop();
  void serve(tcp::socket socket, int id);
  template <class Stream>
  void exchanges(Stream& stream, int fd, int id, const std::string& client_cn);
};

void HttpsTestServer::State::accept_loop() {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket(ioc);
    acceptor.accept(socket, ec);
    std::lock_guard lock(mutex);
    if (stopping || ec) return;
    socket.set_option(tcp::no_delay(true), ec);  // answers go out in several small writes
    const int id = ++connections;
    open_fds.insert(socket.native_handle());
    threads.emplace_back([this, s = std::move(socket), id]() mutable { serve(std::move(s), id); });
  }
}

void HttpsTestServer::State::serve(tcp::socket socket, int id) {
  const int fd = socket.native_handle();
  try {
    if (ssl) {
      beast::ssl_stream<tcp::socket> stream(std::move(socket), *ssl);
      beast::error_code ec;
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (!ec) exchanges(stream, fd, id, peer_common_name(stream.native_handle()));
      std::lock_guard lock(mutex);
      open_fds.erase(fd);
    } else {
      exchanges(socket, fd, id, "");
      std::lock_guard lock(mutex);
      open_fds.erase(fd);
    }
  } catch (...) {
    std::lock_guard lock(mutex);
    open_fds.erase(fd);
  }
}

template <class Stream>
void HttpsTestServer::State::exchanges(Stream& stream, int fd, int id,
                                       const std::string& client_cn) {
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(std::uint64_t{64} << 20);
    beast::error_code ec;
    bhttp::read(stream, buffer, parser, ec);
    if (ec) return;
    const auto& message = parser.get();
    ServedRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = message.body();
    request.connection = id;
    request.client_cn = client_cn;
    {
      std::lock_guard lock(mutex);
      requests.push_back(request);
    }
    TestExchange exchange(
        [&stream](std::string_view bytes) {
          beast::error_code write_ec;
          asio::write(stream, asio::buffer(bytes.data(), bytes.size()), write_ec);
          return !write_ec;
        },
        [fd] { ::shutdown(fd, SHUT_RDWR); }, request.method == "HEAD", body_bytes);
    handler(request, exchange);
    if (exchange.closed() || !parser.keep_alive()) {
      ::shutdown(fd, SHUT_RDWR);
      return;
    }
  }
}

HttpsTestServer::HttpsTestServer(Options options, Handler handler)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.options = std::move(options);
  s.handler = std::move(handler);
  if (s.options.tls) {
    s.ssl.emplace(asio::ssl::context::tls_server);
    s.ssl->use_certificate_chain(asio::buffer(s.options.server_cert.cert_pem));
    s.ssl->use_private_key(asio::buffer(s.options.server_cert.key_pem), asio::ssl::context::pem);
    if (!s.options.client_ca_pem.empty()) {
      s.ssl->add_certificate_authority(asio::buffer(s.options.client_ca_pem));
      s.ssl->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    }
  }
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  s.acceptor.open(endpoint.protocol());
  s.acceptor.bind(endpoint);
  s.acceptor.listen();
  s.port = s.acceptor.local_endpoint().port();
  s.accept_thread = std::thread([&s] { s.accept_loop(); });
}

HttpsTestServer::~HttpsTestServer() {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    s.stopping = true;
    // shutdown() wakes the thread blocked in accept() and those blocked reading a connection.
    ::shutdown(s.acceptor.native_handle(), SHUT_RDWR);
    for (int fd : s.open_fds) ::shutdown(fd, SHUT_RDWR);
  }
  s.accept_thread.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(s.mutex);
    threads.swap(s.threads);
  }
  for (auto& t : threads) t.join();
}

std::uint16_t HttpsTestServer::port() const { return state_->port; }

std::string HttpsTestServer::url(const std::string& target, const std::string& host) const {
  return std::string(state_->options.tls ? "https" : "http") + "://" + host + ":" +
         std::to_string(state_->port) + target;
}

std::vector<ServedRequest> HttpsTestServer::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

int HttpsTestServer::connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections;
}

std::uint64_t HttpsTestServer::body_bytes_sent() const { return state_->body_bytes.load(); }

}  // namespace mf_test
