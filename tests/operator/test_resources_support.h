// Shared by the resources tests: InferenceServices as the API server stores them (the samples
// and hand-written ones, pruned and defaulted by the CRD's schema), and pods in given states.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "openapi_schema.h"
#include "yaml_json.h"

namespace resources_test {

using nlohmann::json;

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline const json& crd_schema() {
  static const json schema = fakeapi::yaml_to_json(read_text(
      std::filesystem::path(MF_SOURCE_DIR) /
      "crds/inferenceservices.serving.mistral-fleet.dev.yaml"))["spec"]["versions"][0]["schema"]
                                                               ["openAPIV3Schema"];
  return schema;
}

// What the API server stores for `obj`: pruned, defaulted, with a namespace, uid and generation.
inline json admitted(json obj) {
  fakeapi::prune(crd_schema(), obj);
  fakeapi::apply_defaults(crd_schema(), obj);
  json& meta = obj["metadata"];
  if (!meta.contains("namespace")) meta["namespace"] = "models";
  if (!meta.contains("uid")) meta["uid"] = "0d9b6c1e-5f3a-4d2b-9c8e-7a6b5c4d3e2f";
  if (!meta.contains("generation")) meta["generation"] = 1;
  return obj;
}

inline json sample(const std::string& file) {
  return admitted(fakeapi::yaml_to_json(
      read_text(std::filesystem::path(MF_SOURCE_DIR) / "manifests/samples" / file)));
}

inline json inference_service(const std::string& name, const json& spec) {
  return admitted({{"apiVersion", "serving.mistral-fleet.dev/v1alpha1"},
                   {"kind", "InferenceService"},
                   {"metadata", {{"name", name}}},
                   {"spec", spec}});
}

}  // namespace resources_test
