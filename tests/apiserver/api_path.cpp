#include "api_path.h"

namespace fakeapi {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

RequestTarget RequestTarget::parse(std::string_view target) {
  RequestTarget t;
  const size_t q = target.find('?');
  t.path = percent_decode(target.substr(0, q), false);
  size_t start = 0;
  while (start < t.path.size()) {
    size_t slash = t.path.find('/', start);
    if (slash == std::string::npos) slash = t.path.size();
    if (slash > start) t.segments.push_back(t.path.substr(start, slash - start));
    start = slash + 1;
  }
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      const size_t eq = pair.find('=');
      std::string key = percent_decode(pair.substr(0, eq), true);
      std::string value =
          eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
      if (!key.empty()) t.query.emplace(std::move(key), std::move(value));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  return t;
}

bool RequestTarget::flag(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return false;
  return it->second == "true" || it->second == "1" || it->second == "True";
}

std::optional<ResourcePath> parse_resource_path(const std::vector<std::string>& s) {
  ResourcePath p;
  size_t i = 0;
  if (s.size() >= 3 && s[0] == "api" && s[1] == "v1") {
    p.version = "v1";
    i = 2;
  } else if (s.size() >= 4 && s[0] == "apis") {
    p.group = s[1];
    p.version = s[2];
    i = 3;
  } else {
    return std::nullopt;
  }
  std::vector<std::string> rest(s.begin() + static_cast<long>(i), s.end());
  // namespaces/NS/RESOURCE/... is a namespaced resource; namespaces, namespaces/NAME and
  // namespaces/NAME/status are the Namespace objects themselves.
  if (rest.size() >= 3 && rest[0] == "namespaces" &&
      !(rest.size() == 3 && p.group.empty() && (rest[2] == "status" || rest[2] == "finalize"))) {
    p.namespace_ = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.empty() || rest.size() > 3) return std::nullopt;
  p.plural = rest[0];
  if (rest.size() >= 2) p.name = rest[1];
  if (rest.size() == 3) p.subresource = rest[2];
  return p;
}

}  // namespace fakeapi
