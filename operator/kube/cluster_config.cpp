#include "kube/cluster_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "kube/base64.h"

namespace kube {

namespace fs = std::filesystem;

namespace {

// How long a token read from a file is trusted; client-go re-reads every minute.
constexpr std::chrono::seconds kTokenRereadPeriod{60};

std::string read_file(const fs::path& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + what + " " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  const auto last = s.find_last_not_of(" \t\r\n");
  return first == std::string::npos ? "" : s.substr(first, last - first + 1);
}

// A named entry of a kubeconfig list (clusters, users, contexts): its inner map.
YAML::Node find_named(const YAML::Node& list, const std::string& list_name, const std::string& name,
                      const std::string& inner, const fs::path& file) {
  if (list && list.IsSequence()) {
    for (const auto& item : list) {
      if (item["name"] && item["name"].as<std::string>() == name) {
        const YAML::Node body = item[inner];
        return body ? body : YAML::Node(YAML::NodeType::Map);
      }
    }
  }
  throw std::runtime_error(file.string() + ": no " + list_name + " entry named \"" + name + "\"");
}

std::string string_field(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  return value && value.IsScalar() ? value.as<std::string>() : "";
}

// `key-data` (base64, inline) wins over `key` (a file path relative to the kubeconfig's folder).
std::string pem_field(const YAML::Node& node, const std::string& key, const fs::path& file) {
  const std::string data = string_field(node, (key + "-data").c_str());
  if (!data.empty()) {
    try {
      return base64_decode(data);
    } catch (const std::exception& e) {
      throw std::runtime_error(file.string() + ": " + key + "-data: " + e.what());
    }
  }
  const std::string path = string_field(node, key.c_str());
  if (path.empty()) return "";
  const fs::path resolved =
      fs::path(path).is_absolute() ? fs::path(path) : file.parent_path() / path;
  return read_file(resolved, key);
}

std::string strip_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

std::string TokenSource::token() const {
  if (path_.empty()) return fixed_;
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (cached_.empty() || now - read_at_ > kTokenRereadPeriod) {
    cached_ = trim(read_file(path_, "token file"));
    read_at_ = now;
  }
  return cached_;
}

ClusterConfig load_kubeconfig(const fs::path& path, const std::string& context) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::Exception& e) {
    throw std::runtime_error("cannot load kubeconfig " + path.string() + ": " + e.what());
  }
  std::string context_name = context.empty() ? string_field(root, "current-context") : context;
  if (context_name.empty()) {
    throw std::runtime_error(path.string() + ": no current-context (pass --context)");
  }
  const YAML::Node ctx = find_named(root["contexts"], "context", context_name, "context", path);
  const YAML::Node cluster =
      find_named(root["clusters"], "cluster", string_field(ctx, "cluster"), "cluster", path);
  const std::string user_name = string_field(ctx, "user");
  const YAML::Node user = user_name.empty()
                              ? YAML::Node(YAML::NodeType::Map)
                              : find_named(root["users"], "user", user_name, "user", path);

  ClusterConfig config;
  config.server = strip_trailing_slash(string_field(cluster, "server"));
  if (config.server.empty()) {
    throw std::runtime_error(path.string() + ": cluster of context \"" + context_name +
                             "\" has no server");
  }
  config.tls.ca_pem = pem_field(cluster, "certificate-authority", path);
  config.tls.insecure_skip_verify = string_field(cluster, "insecure-skip-tls-verify") == "true";
  config.tls.client_cert_pem = pem_field(user, "client-certificate", path);
  config.tls.client_key_pem = pem_field(user, "client-key", path);
  if (config.tls.client_cert_pem.empty() != config.tls.client_key_pem.empty()) {
    throw std::runtime_error(path.string() + ": user \"" + user_name +
                             "\" has a client certificate without its key, or a key without "
                             "its certificate");
  }
  if (user["exec"] || user["auth-provider"]) {
    throw std::runtime_error(path.string() + ": user \"" + user_name +
                             "\" uses an exec or auth-provider credential plugin, which "
                             "mistral-operator does not run; use a token, a client "
                             "certificate, or run in the cluster");
  }
  const std::string token_file = string_field(user, "tokenFile");
  config.token = std::make_shared<TokenSource>(
      string_field(user, "token"), token_file.empty() ? fs::path() : fs::path(token_file));
  const std::string ns = string_field(ctx, "namespace");
  if (!ns.empty()) config.namespace_name = ns;
  return config;
}

ClusterConfig in_cluster_config(const fs::path& root) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0' || *port == '\0') {
    throw std::runtime_error(
        "no kubeconfig found (--kubeconfig, $KUBECONFIG, ~/.kube/config) and not running in a "
        "cluster (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset)");
  }
  ClusterConfig config;
  const std::string h = host;
  // An IPv6 service address needs brackets in a URL.
  config.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  config.tls.ca_pem = read_file(root / "ca.crt", "service-account CA");
  config.token = std::make_shared<TokenSource>("", root / "token");
  config.token->token();  // fail now, with the path, if the token is unreadable
  if (fs::exists(root / "namespace")) {
    config.namespace_name = trim(read_file(root / "namespace", "service-account namespace"));
  }
  return config;
}

ClusterConfig default_cluster_config(const std::string& explicit_path, const std::string& context) {
  if (!explicit_path.empty()) return load_kubeconfig(explicit_path, context);
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    const std::string list = env;
    return load_kubeconfig(list.substr(0, list.find(':')), context);
  }
  if (const char* home = std::getenv("HOME"); home != nullptr) {
    const fs::path path = fs::path(home) / ".kube" / "config";
    if (fs::exists(path)) return load_kubeconfig(path, context);
  }
  return in_cluster_config();
}

}  // namespace kube
