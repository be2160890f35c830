// The exchanges recorded from a real kube-apiserver (../shared/k8s-api-samples: NAME.request.http,
// NAME.response.http, NAME.body.json), loaded for tests that replay the request against the fake
// server and compare the response's shape with the real one.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace fakeapi {

struct RecordedSample {
  std::string method;
  std::string target;
  std::map<std::string, std::string> request_headers;  // lower-case names
  std::string request_body;
  int status = 0;
  std::map<std::string, std::string> response_headers;  // lower-case names
  std::string response_body;  // the body as recorded (one line per event for watches)
};

// Nothing when the files are absent or unreadable.
std::optional<RecordedSample> load_recorded_sample(const std::filesystem::path& dir,
                                                   const std::string& name);

// The sorted key paths of a JSON value ("metadata.name", "items[].kind", ...): what a shape
// comparison looks at.
std::map<std::string, std::string> json_shape(const nlohmann::json& value);

}  // namespace fakeapi
