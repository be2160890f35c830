// The fake kube-apiserver: HTTPS on 127.0.0.1 with generated certificates, an admin
// kubeconfig in `dir`, and the API of api_core.h. Tests use it in-process:
//
//   fakeapi::ApiServer server({.dir = tmpdir});   // port 0: an ephemeral port
//   server.start();  ... kubeconfig_path(), url(), port() ...
//   server.stop();   // closes every connection; start() re-listens on the same port with the
//                    // same objects (an apiserver restarted over the same etcd)
//
// and play other actors (a controller-manager, a kubelet) through get/create/put/patch/remove,
// which run the same code as HTTP requests do.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api_core.h"
#include "api_errors.h"
#include "tls_certificates.h"

namespace fakeapi {

struct ApiServerOptions {
  std::filesystem::path dir{};             // the kubeconfig goes here (created when missing)
  unsigned short port = 0;                 // 0: an ephemeral port, kept across stop()/start()
  std::string token = "fake-admin-token";  // a static bearer token accepted besides the cert
  // How often watches that allow bookmarks get a BOOKMARK.
  std::chrono::milliseconds bookmark_interval{std::chrono::seconds(5)};
};

class ApiServer {
 public:
  explicit ApiServer(ApiServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  void start();  // throws std::runtime_error when the port cannot be bound
  void stop();
  bool running() const;

  unsigned short port() const;
  std::string url() const;  // https://127.0.0.1:PORT
  std::filesystem::path kubeconfig_path() const;
  const std::string& token() const { return options_.token; }
  const TlsCertificates& certificates() const { return certs_; }

  void compact();        // watches and lists from older resourceVersions get 410 Gone
  void close_watches();  // drops open watch streams (their connections close)
  void fail_next(const std::string& method, const std::string& path_prefix, int http_status,
                 int count = 1);
  int request_count(const std::string& method, const std::string& path_prefix) const;

  // Direct access by API path ("/apis/apps/v1/namespaces/default/deployments/web"). Writes are
  // recorded under `manager`. Failures throw ApiError.
  std::optional<nlohmann::json> get(const std::string& api_path);
  nlohmann::json create(const std::string& collection_path, const nlohmann::json& obj,
                        const std::string& manager = "kube-controller-manager");
  nlohmann::json put(const std::string& api_path, const nlohmann::json& obj,
                     const std::string& manager = "kube-controller-manager");
  nlohmann::json patch(const std::string& api_path, const nlohmann::json& patch,
                       const std::string& content_type = "application/merge-patch+json",
                       const std::string& manager = "kube-controller-manager");
  // Deletes (Background propagation); false when there was nothing to delete.
  bool remove(const std::string& api_path);

  ApiCore& core() { return *core_; }

 private:
  struct Network;
  nlohmann::json call(const std::string& method, const std::string& path, const std::string& body,
                      const std::string& content_type, const std::string& manager);

  ApiServerOptions options_;
  TlsCertificates certs_;
  std::unique_ptr<ApiCore> core_;
  std::unique_ptr<Network> net_;
};

}  // namespace fakeapi
