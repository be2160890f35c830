#include "json_path.h"

#include <string>

namespace fakeapi {
namespace {

using nlohmann::json;

std::string unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

// Applies a filter like @.type=="Ready" (or @.type) to a list item.
bool filter_matches(const json& item, std::string_view expr) {
  std::string e(expr);
  const size_t op = e.find("==");
  const size_t ne = e.find("!=");
  const size_t at = op != std::string::npos ? op : ne;
  std::string lhs = e.substr(0, at);
  while (!lhs.empty() && lhs.back() == ' ') lhs.pop_back();
  if (!lhs.starts_with("@.")) return false;
  const auto values = json_path_select(item, lhs.substr(1));
  if (at == std::string::npos) return !values.empty();
  std::string rhs = e.substr(at + 2);
  while (!rhs.empty() && rhs.front() == ' ') rhs.erase(0, 1);
  rhs = unquote(rhs);
  const bool equal = !values.empty() && (values[0].is_string() ? values[0].get<std::string>() == rhs
                                                               : values[0].dump() == rhs);
  return op != std::string::npos ? equal : !equal;
}

}  // namespace

std::vector<json> json_path_select(const json& obj, std::string_view path) {
  if (path.starts_with("{") && path.ends_with("}")) path = path.substr(1, path.size() - 2);
  std::vector<json> current{obj};
  size_t i = 0;
  while (i < path.size() && !current.empty()) {
    std::vector<json> next;
    if (path[i] == '.') {
      size_t end = path.find_first_of(".[", i + 1);
      if (end == std::string_view::npos) end = path.size();
      const std::string key(path.substr(i + 1, end - i - 1));
      i = end;
      if (key.empty()) continue;
      for (const auto& v : current) {
        if (v.is_object() && v.contains(key)) next.push_back(v[key]);
      }
    } else if (path[i] == '[') {
      size_t end = path.find(']', i);
      if (path.substr(i).starts_with("[?(")) end = path.find(")]", i) + 1;
      if (end == std::string_view::npos || end == 0) return {};
      const std::string_view inner = path.substr(i + 1, end - i - 1);
      i = end + 1;
      for (const auto& v : current) {
        if (!v.is_array()) continue;
        if (inner == "*") {
          for (const auto& item : v) next.push_back(item);
        } else if (inner.starts_with("?(")) {
          for (const auto& item : v) {
            if (filter_matches(item, inner.substr(2, inner.size() - 3))) next.push_back(item);
          }
        } else {
          try {
            long idx = std::stol(std::string(inner));
            if (idx < 0) idx += static_cast<long>(v.size());
            if (idx >= 0 && static_cast<size_t>(idx) < v.size()) next.push_back(v[idx]);
          } catch (const std::exception&) {
            return {};
          }
        }
      }
    } else {
      return {};
    }
    current = std::move(next);
  }
  return current;
}

}  // namespace fakeapi
