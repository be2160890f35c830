#include "pull/pull_source.h"

#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <cstdlib>
#include <utility>
#include <vector>

#include "http/http_client.h"
#include "pull/pull_error.h"

namespace engine::pull {
namespace {

constexpr const char* kHfTokenHint = "set HF_TOKEN / the InferenceService's tokenSecretRef";
constexpr const char* kHttpsTokenHint = "set MF_PULL_TOKEN / the InferenceService's tokenSecretRef";

[[noreturn]] void usage(const std::string& message) {
  throw PullError(PullFailure::kUsage, message);
}

std::string trim(std::string s) {
  const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && space(s.back())) s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && space(s[start])) ++start;
  return s.substr(start);
}

// Secrets mounted as environment variables often end with a newline.
std::string token_from(const EnvLookup& env, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (auto value = env(name)) {
      std::string token = trim(*value);
      if (!token.empty()) return token;
    }
  }
  return "";
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Percent-encodes all but RFC 3986's unreserved characters (and '/' when `keep_slash`).
std::string encode(std::string_view text, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (keep_slash && c == '/')) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::string decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

void check_name_part(std::string_view part, const char* what, std::string_view uri) {
  if (part.empty() || part == "." || part == "..") {
    usage("'" + std::string(uri) + "': empty or relative " + what);
  }
  for (char c : part) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '-' && c != '_' && c != '.') {
      usage("'" + std::string(uri) + "': invalid character '" + std::string(1, c) + "' in the " +
            what);
    }
  }
}

PullSource hugging_face(std::string_view uri, const EnvLookup& env) {
  const std::string_view rest = uri.substr(5);
  const std::vector<std::string_view> parts = split(rest, '/');
  if (parts.size() < 3 || parts.back().empty()) {
    usage("'" + std::string(uri) + "': expected hf://ORG/REPO[@REVISION]/PATH");
  }
  PullSource s;
  s.hugging_face = true;
  const std::string_view org = parts[0];
  std::string_view repo = parts[1];
  s.revision = "main";
  if (const std::size_t at = repo.find('@'); at != std::string_view::npos) {
    s.revision = std::string(repo.substr(at + 1));
    repo = repo.substr(0, at);
    if (s.revision.empty()) usage("'" + std::string(uri) + "': empty revision after '@'");
  }
  check_name_part(org, "organization", uri);
  check_name_part(repo, "repository name", uri);
  for (std::size_t i = 2; i < parts.size(); ++i) {
    if (parts[i].empty() || parts[i] == "." || parts[i] == "..") {
      usage("'" + std::string(uri) + "': empty or relative segment in the file path");
    }
  }
  s.repository = std::string(org) + "/" + std::string(repo);
  s.path = std::string(rest.substr(org.size() + parts[1].size() + 2));
  s.file_name = std::string(parts.back());

  std::string endpoint = trim(env("HF_ENDPOINT").value_or(""));
  if (endpoint.empty()) endpoint = "https://huggingface.co";
  while (endpoint.ends_with('/')) endpoint.pop_back();
  s.url = endpoint + "/" + s.repository + "/resolve/" + encode(s.revision, false) + "/" +
          encode(s.path, true);
  s.token = token_from(env, {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"});
  s.token_hint = kHfTokenHint;
  return s;
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

PullSource resolve_pull_source(std::string_view uri, const EnvLookup& env) {
  const std::size_t sep = uri.find("://");
  std::string scheme(uri.substr(0, sep == std::string_view::npos ? 0 : sep));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "pvc") {
    usage("'" + std::string(uri) +
          "' is not pulled: a pvc:// model is mounted into the pod from its PersistentVolumeClaim "
          "and read in place (serve --model /path/in/the/volume)");
  }
  if (scheme == "file") {
    usage("'" + std::string(uri) +
          "' is not pulled: a file:// model is read where it is mounted (serve --model PATH)");
  }

  PullSource s;
  if (scheme == "hf") {
    s = hugging_face(uri, env);
  } else if (scheme == "https" || scheme == "http") {
    s.url = std::string(uri);
    s.token = token_from(env, {"MF_PULL_TOKEN"});
    s.token_hint = kHttpsTokenHint;
  } else {
    usage("'" + std::string(uri) +
          "': unsupported URI; pull takes hf://ORG/REPO[@REVISION]/PATH or https://HOST/PATH");
  }

  http::Url url;
  try {
    url = http::Url::parse(s.url);
  } catch (const std::invalid_argument& e) {
    usage(e.what());
  }
  if (url.scheme == "http" && !is_loopback(url.host)) {
    usage("'" + s.url + "': plain http is only allowed to a loopback host; use https");
  }
  if (!s.hugging_face) {
    s.repository = url.host;
    const std::string_view path = std::string_view(url.target).substr(0, url.target.find('?'));
    s.file_name = decode(path.substr(path.rfind('/') + 1));
  }
  return s;
}

}  // namespace engine::pull
