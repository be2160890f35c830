// Where the API server is and how to authenticate to it: from a kubeconfig file (its current
// context) or from inside a pod (the service account's token and CA).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "http/http_client.h"

namespace kube {

// A bearer token read from a file and re-read periodically: kubelet rotates projected
// service-account tokens, and a cached copy expires.
class TokenSource {
 public:
  // A fixed token (may be empty: no token), or the file it is read from when `path` is set.
  TokenSource(std::string fixed, std::filesystem::path path)
      : fixed_(std::move(fixed)), path_(std::move(path)) {}

  // "" when the configuration has no token.
  std::string token() const;

 private:
  std::string fixed_;
  std::filesystem::path path_;
  mutable std::mutex mutex_;
  mutable std::string cached_;
  mutable std::chrono::steady_clock::time_point read_at_{};
};

struct ClusterConfig {
  std::string server;  // https://host:port, no trailing slash
  http::TlsConfig tls;
  std::shared_ptr<TokenSource> token;      // never null
  std::string namespace_name = "default";  // the context's namespace, or the pod's
};

// The kubeconfig's current context (or `context` when not empty). Relative file paths in it are
// resolved against the file's folder, as kubectl does. Throws std::runtime_error naming the file
// and the missing or malformed entry.
ClusterConfig load_kubeconfig(const std::filesystem::path& path, const std::string& context = "");

// Inside a pod: KUBERNETES_SERVICE_HOST/PORT and the files under
// /var/run/secrets/kubernetes.io/serviceaccount (`root` replaces that folder in tests).
ClusterConfig in_cluster_config(
    const std::filesystem::path& root = "/var/run/secrets/kubernetes.io/serviceaccount");

// What kubectl would use: `explicit_path` if given, else $KUBECONFIG (its first file), else
// ~/.kube/config if present, else the in-cluster configuration.
ClusterConfig default_cluster_config(const std::string& explicit_path, const std::string& context);

}  // namespace kube
