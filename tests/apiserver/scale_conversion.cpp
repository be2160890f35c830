#include "scale_conversion.h"

#include <string>

#include "selectors.h"

namespace fakeapi {
namespace {

using nlohmann::json;

// ".spec.replicas" → "/spec/replicas".
json::json_pointer pointer_of(const std::string& dotted) {
  std::string p;
  for (char c : dotted) p += c == '.' ? '/' : c;
  return json::json_pointer(p);
}

std::string path_of(const ResourceType& t, const char* key, const char* builtin) {
  if (t.is_custom()) return t.scale_paths.value(key, "");
  return builtin;
}

}  // namespace

nlohmann::ordered_json to_scale(const ResourceType& t, const json& obj) {
  nlohmann::ordered_json scale;
  scale["kind"] = "Scale";
  scale["apiVersion"] = "autoscaling/v1";
  nlohmann::ordered_json meta;
  const json& m = obj["metadata"];
  for (const char* key : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (m.contains(key)) meta[key] = m[key];
  }
  scale["metadata"] = meta;
  const auto spec_ptr = pointer_of(path_of(t, "specReplicasPath", ".spec.replicas"));
  const auto status_ptr = pointer_of(path_of(t, "statusReplicasPath", ".status.replicas"));
  nlohmann::ordered_json spec = nlohmann::ordered_json::object();
  if (obj.contains(spec_ptr) && obj[spec_ptr].is_number_integer()) spec["replicas"] = obj[spec_ptr];
  scale["spec"] = spec;
  nlohmann::ordered_json status;
  status["replicas"] =
      obj.contains(status_ptr) && obj[status_ptr].is_number_integer() ? obj[status_ptr] : json(0);
  if (t.is_custom()) {
    const std::string sel_path = t.scale_paths.value("labelSelectorPath", "");
    if (!sel_path.empty()) {
      const auto ptr = pointer_of(sel_path);
      if (obj.contains(ptr) && obj[ptr].is_string()) status["selector"] = obj[ptr];
    }
  } else if (obj.contains("/spec/selector"_json_pointer)) {
    status["selector"] = LabelSelector::from_json(obj["/spec/selector"_json_pointer]).to_string();
  }
  scale["status"] = status;
  return scale;
}

bool apply_scale(const ResourceType& t, const json& scale, json& obj) {
  if (!scale.contains("/spec/replicas"_json_pointer) ||
      !scale["/spec/replicas"_json_pointer].is_number_integer()) {
    return false;
  }
  obj[pointer_of(path_of(t, "specReplicasPath", ".spec.replicas"))] =
      scale["/spec/replicas"_json_pointer];
  return true;
}

}  // namespace fakeapi
