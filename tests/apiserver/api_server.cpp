#include "api_server.h"

#include <fcntl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>  // before asio (Boost 1.74)
#include <vector>

#include "http_session.h"

namespace fakeapi {

namespace net = boost::asio;
using nlohmann::json;

namespace {

// Tests start processes (an operator) next to the server: they must not inherit its sockets,
// or the listening port outlives stop() in the child.
void close_on_exec(int fd) { ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC); }

}  // namespace

struct ApiServer::Network {
  net::io_context io;
  net::ssl::context tls{net::ssl::context::tls_server};
  std::unique_ptr<net::ip::tcp::acceptor> acceptor;
  std::thread thread;
  std::mutex mutex;  // guards sessions
  std::vector<std::weak_ptr<HttpSession>> sessions;
  SessionConfig config;
  bool running = false;

  void accept() {
    acceptor->async_accept([this](boost::system::error_code ec, net::ip::tcp::socket socket) {
      if (ec) return;  // the acceptor was closed
      close_on_exec(socket.native_handle());
      auto session = std::make_shared<HttpSession>(std::move(socket), tls, config);
      {
        std::lock_guard<std::mutex> g(mutex);
        std::erase_if(sessions, [](const auto& w) { return w.expired(); });
        sessions.push_back(session);
      }
      session->run();
      accept();
    });
  }

  std::vector<std::shared_ptr<HttpSession>> live_sessions() {
    std::lock_guard<std::mutex> g(mutex);
    std::vector<std::shared_ptr<HttpSession>> out;
    for (const auto& w : sessions) {
      if (auto s = w.lock()) out.push_back(std::move(s));
    }
    return out;
  }
};

ApiServer::ApiServer(ApiServerOptions options)
    : options_(std::move(options)),
      certs_(generate_tls_certificates()),
      core_(std::make_unique<ApiCore>()),
      net_(std::make_unique<Network>()) {
  auto& tls = net_->tls;
  tls.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                  net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                  net::ssl::context::no_tlsv1_1);
  tls.use_certificate_chain(net::buffer(certs_.server_cert_pem));
  tls.use_private_key(net::buffer(certs_.server_key_pem), net::ssl::context::pem);
  tls.add_certificate_authority(net::buffer(certs_.ca_cert_pem));
  // Ask for a client certificate but let the handshake finish without one (or with a bad one):
  // the session then answers 401, as kube-apiserver does.
  tls.set_verify_mode(net::ssl::verify_peer);
  tls.set_verify_callback([](bool, net::ssl::verify_context&) { return true; });
  net_->config = SessionConfig{core_.get(), options_.token, options_.bookmark_interval};
}

ApiServer::~ApiServer() { stop(); }

void ApiServer::start() {
  if (net_->running) return;
  std::filesystem::create_directories(options_.dir);
  auto& n = *net_;
  n.io.restart();
  // An ephemeral port (the kernel's range) could be taken on restart by a client's own
  // reconnect attempt (a TCP self-connect to 127.0.0.1:PORT), so a port is picked below that
  // range; on restart, a briefly busy port is waited for.
  std::vector<unsigned short> candidates;
  if (options_.port == 0) {
    std::mt19937 rng{std::random_device{}()};
    for (int i = 0; i < 64; ++i)
      candidates.push_back(static_cast<unsigned short>(20000 + rng() % 12000));
    candidates.push_back(0);
  } else {
    candidates.push_back(options_.port);
  }
  boost::system::error_code ec;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  size_t i = 0;
  while (i < candidates.size()) {
    n.acceptor = std::make_unique<net::ip::tcp::acceptor>(n.io);
    const net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), candidates[i]);
    ec = {};
    n.acceptor->open(ep.protocol(), ec);
    if (!ec) close_on_exec(n.acceptor->native_handle());
    if (!ec) n.acceptor->set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) n.acceptor->bind(ep, ec);
    if (!ec) n.acceptor->listen(net::socket_base::max_listen_connections, ec);
    if (!ec) break;
    n.acceptor.reset();
    const bool wait_for_port = candidates.size() == 1 && ec == boost::asio::error::address_in_use &&
                               std::chrono::steady_clock::now() < deadline;
    if (wait_for_port) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } else {
      ++i;
    }
  }
  if (ec || !n.acceptor) {
    throw std::runtime_error("fake-kube-apiserver: cannot listen on 127.0.0.1:" +
                             std::to_string(options_.port) + ": " + ec.message());
  }
  options_.port = n.acceptor->local_endpoint().port();
  {
    std::ofstream out(kubeconfig_path(), std::ios::trunc);
    out << admin_kubeconfig(certs_, options_.port);
    if (!out) throw std::runtime_error("cannot write " + kubeconfig_path().string());
  }
  n.accept();
  n.running = true;
  n.thread = std::thread([&n] { n.io.run(); });
}

void ApiServer::stop() {
  auto& n = *net_;
  if (!n.running) return;
  net::post(n.io, [&n] {
    boost::system::error_code ec;
    n.acceptor->close(ec);
  });
  for (auto& s : n.live_sessions()) s->close(false);
  // Sessions go away once their pending operations finish with the closed sockets.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!n.live_sessions().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  n.io.stop();
  n.thread.join();
  n.acceptor.reset();
  n.running = false;
}

bool ApiServer::running() const { return net_->running; }
unsigned short ApiServer::port() const { return options_.port; }
std::string ApiServer::url() const { return "https://127.0.0.1:" + std::to_string(port()); }
std::filesystem::path ApiServer::kubeconfig_path() const { return options_.dir / "kubeconfig"; }

void ApiServer::compact() { core_->store().compact(); }

void ApiServer::close_watches() {
  for (auto& s : net_->live_sessions()) s->close(true);
}

void ApiServer::fail_next(const std::string& method, const std::string& path_prefix,
                          int http_status, int count) {
  core_->fail_next(method, path_prefix, http_status, count);
}

int ApiServer::request_count(const std::string& method, const std::string& path_prefix) const {
  return core_->request_count(method, path_prefix);
}

json ApiServer::call(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& content_type, const std::string& manager) {
  HttpRequest req;
  req.method = method;
  req.target = path;
  req.body = body;
  req.headers["content-type"] = content_type;
  req.headers["user-agent"] = manager + "/in-process";
  HandlerResult r = core_->handle(req);
  if (r.response.status >= 300) {
    const auto status = nlohmann::ordered_json::parse(r.response.body, nullptr, false);
    if (status.is_object()) throw ApiError(r.response.status, status);
    throw ApiError(r.response.status,
                   failure_status(r.response.status, "NotFound", r.response.body));
  }
  return json::parse(r.response.body);
}

std::optional<json> ApiServer::get(const std::string& api_path) {
  try {
    return call("GET", api_path, "", "", "kube-controller-manager");
  } catch (const ApiError& e) {
    if (e.code == 404) return std::nullopt;
    throw;
  }
}

json ApiServer::create(const std::string& collection_path, const json& obj,
                       const std::string& manager) {
  return call("POST", collection_path, obj.dump(), "application/json", manager);
}

json ApiServer::put(const std::string& api_path, const json& obj, const std::string& manager) {
  return call("PUT", api_path, obj.dump(), "application/json", manager);
}

json ApiServer::patch(const std::string& api_path, const json& patch,
                      const std::string& content_type, const std::string& manager) {
  std::string path = api_path;
  if (content_type.starts_with("application/apply-patch") &&
      path.find("fieldManager=") == std::string::npos) {
    path +=
        (path.find('?') == std::string::npos ? "?" : "&") + std::string("fieldManager=") + manager;
  }
  return call("PATCH", path, patch.dump(), content_type, manager);
}

bool ApiServer::remove(const std::string& api_path) {
  try {
    call("DELETE", api_path, "", "application/json", "kube-controller-manager");
    return true;
  } catch (const ApiError& e) {
    if (e.code == 404) return false;
    throw;
  }
}

}  // namespace fakeapi
