#include "resources/model_source.h"

#include <cctype>
#include <vector>

namespace resources {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

// A relative path of non-empty segments, none of them "." or "..": it must stay inside the
// mount (pvc) or the repository (hf), and name a file (no trailing slash).
void check_segments(std::string_view uri, std::string_view what, std::string_view path) {
  if (path.empty()) {
    throw ModelUriError("model URI '" + std::string(uri) + "' has no " + std::string(what));
  }
  for (std::string_view seg : split_path(path)) {
    if (seg.empty()) {
      throw ModelUriError("model URI '" + std::string(uri) + "': the " + std::string(what) +
                          " has an empty segment (a doubled or trailing '/')");
    }
    if (seg == "." || seg == "..") {
      throw ModelUriError("model URI '" + std::string(uri) + "': the " + std::string(what) +
                          " may not contain '.' or '..' segments");
    }
  }
}

std::string_view last_segment(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
      return false;
    }
  }
  const auto alnum = [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c));
  };
  return alnum(s.front()) && alnum(s.back());
}

}  // namespace

std::string_view scheme_name(ModelSourceKind kind) {
  switch (kind) {
    case ModelSourceKind::kHuggingFace:
      return "hf";
    case ModelSourceKind::kHttps:
      return "https";
    case ModelSourceKind::kPvc:
      return "pvc";
    case ModelSourceKind::kFile:
      return "file";
  }
  return "";
}

ModelSource parse_model_uri(std::string_view uri) {
  const std::string quoted = "'" + std::string(uri) + "'";
  for (char c : uri) {
    if (std::isspace(static_cast<unsigned char>(c)) ||
        std::iscntrl(static_cast<unsigned char>(c))) {
      throw ModelUriError("model URI " + quoted + " contains whitespace or control characters");
    }
  }
  ModelSource s;
  s.uri = std::string(uri);
  if (uri.rfind("hf://", 0) == 0) {
    s.kind = ModelSourceKind::kHuggingFace;
    const std::string_view rest = uri.substr(5);
    const size_t org_end = rest.find('/');
    const size_t repo_end =
        org_end == std::string_view::npos ? org_end : rest.find('/', org_end + 1);
    if (org_end == 0 || repo_end == std::string_view::npos || repo_end == org_end + 1) {
      throw ModelUriError("model URI " + quoted +
                          " must look like hf://ORG/REPO/PATH (the file PATH in repository "
                          "ORG/REPO)");
    }
    s.repository = std::string(rest.substr(0, repo_end));
    s.path = std::string(rest.substr(repo_end + 1));
    check_segments(uri, "file path in the repository", s.path);
  } else if (uri.rfind("https://", 0) == 0) {
    s.kind = ModelSourceKind::kHttps;
    std::string_view rest = uri.substr(8);
    rest = rest.substr(0, rest.find_first_of("?#"));
    const size_t host_end = rest.find('/');
    if (host_end == 0 || host_end == std::string_view::npos || host_end + 1 == rest.size()) {
      throw ModelUriError("model URI " + quoted + " must look like https://HOST/PATH/FILE.gguf");
    }
    s.host = std::string(rest.substr(0, host_end));
    s.path = std::string(rest.substr(host_end + 1));
    const std::string_view file = last_segment(s.path);
    if (file.empty() || file == "." || file == "..") {
      throw ModelUriError(
          "model URI " + quoted +
          ": the URL path must end with a file name (the downloaded file keeps it)");
    }
  } else if (uri.rfind("pvc://", 0) == 0) {
    s.kind = ModelSourceKind::kPvc;
    const std::string_view rest = uri.substr(6);
    const size_t claim_end = rest.find('/');
    s.claim = std::string(rest.substr(0, claim_end));
    if (!is_dns_subdomain(s.claim)) {
      throw ModelUriError("model URI " + quoted +
                          " must look like pvc://CLAIM/PATH, CLAIM a PersistentVolumeClaim name "
                          "(lower case letters, digits, '-' and '.', at most 253)");
    }
    if (claim_end != std::string_view::npos) s.path = std::string(rest.substr(claim_end + 1));
    check_segments(uri, "path on the claim", s.path);
  } else if (uri.rfind("file://", 0) == 0) {
    s.kind = ModelSourceKind::kFile;
    const std::string_view rest = uri.substr(7);
    if (rest.size() < 2 || rest[0] != '/') {
      throw ModelUriError("model URI " + quoted +
                          " must look like file:///PATH (an absolute path: three slashes)");
    }
    check_segments(uri, "path", rest.substr(1));
    s.path = std::string(rest);
  } else {
    throw ModelUriError("model URI " + quoted +
                        " has an unknown scheme; use hf://ORG/REPO/PATH, https://HOST/PATH, "
                        "pvc://CLAIM/PATH or file:///PATH");
  }
  s.file_name = std::string(last_segment(s.path));
  switch (s.kind) {
    case ModelSourceKind::kHuggingFace:
    case ModelSourceKind::kHttps:
      s.engine_path = std::string(kModelDir) + "/" + s.file_name;
      break;
    case ModelSourceKind::kPvc:
      s.engine_path = std::string(kModelDir) + "/" + s.path;
      break;
    case ModelSourceKind::kFile:
      s.engine_path = s.path;
      break;
  }
  return s;
}

}  // namespace resources
