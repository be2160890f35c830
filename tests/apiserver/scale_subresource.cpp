#include "scale_subresource.h"

#include <cstdint>
#include <optional>
#include <string>

#include "go_format.h"

namespace fakeapi {
namespace {

using nlohmann::json;

// unstructured.NestedFieldNoCopy on a JSON path like ".spec.replicas": the value, nothing when
// absent (or below a null), or the accessor error when a step is not an object.
struct Lookup {
  const json* value = nullptr;
  std::string error;
};

Lookup lookup(const json& object, const std::string& json_path) {
  const json* cur = &object;
  std::string walked;
  size_t start = json_path.starts_with(".") ? 1 : 0;
  while (true) {
    const size_t dot = json_path.find('.', start);
    const std::string field = json_path.substr(start, dot == std::string::npos ? dot : dot - start);
    walked += "." + field;
    if (cur->is_null()) return {};
    if (!cur->is_object()) {
      return {nullptr, walked + " accessor error: " + gofmt::value_v(*cur) + " is of the type " +
                           gofmt::type_name(*cur) + ", expected map[string]interface{}"};
    }
    auto it = cur->find(field);
    if (it == cur->end()) return {};
    cur = &*it;
    if (dot == std::string::npos) return {cur, ""};
    start = dot + 1;
  }
}

std::string accessor_error(const std::string& path, const json& v, const char* expected) {
  return path + " accessor error: " + gofmt::value_v(v) + " is of the type " + gofmt::type_name(v) +
         ", expected " + expected;
}

// ValidateScaleSpec / ValidateScaleStatus for one replicas path.
void check_replicas(const json& scale, const char* key, const json& object,
                    std::vector<Cause>& out) {
  auto it = scale.find(key);
  if (it == scale.end() || !it->is_string() || it->get<std::string>().empty()) return;
  const std::string path = it->get<std::string>();
  const Lookup found = lookup(object, path);
  if (!found.error.empty()) {
    out.push_back(invalid(path, 0, found.error));
    return;
  }
  if (!found.value) return;
  const std::optional<int64_t> replicas = gofmt::as_int64(*found.value);
  if (!replicas) {
    out.push_back(invalid(path, 0, accessor_error(path, *found.value, "int64")));
  } else if (*replicas < 0) {
    out.push_back(invalid(path, *replicas, "should be a non-negative integer"));
  } else if (*replicas > INT32_MAX) {
    out.push_back(invalid(path, *replicas, "should be less than or equal to 2147483647"));
  }
}

}  // namespace

std::vector<Cause> scale_spec_causes(const json& scale, const json& object) {
  std::vector<Cause> out;
  check_replicas(scale, "specReplicasPath", object, out);
  return out;
}

std::vector<Cause> scale_status_causes(const json& scale, const json& object) {
  std::vector<Cause> out;
  check_replicas(scale, "statusReplicasPath", object, out);
  auto it = scale.find("labelSelectorPath");
  if (it != scale.end() && it->is_string() && !it->get<std::string>().empty()) {
    const std::string path = it->get<std::string>();
    const Lookup found = lookup(object, path);
    if (!found.error.empty()) {
      out.push_back(invalid(path, "", found.error));
    } else if (found.value && !found.value->is_string()) {
      out.push_back(invalid(path, "", accessor_error(path, *found.value, "string")));
    }
  }
  return out;
}

}  // namespace fakeapi
