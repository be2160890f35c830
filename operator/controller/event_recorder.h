// Records core/v1 Events on the objects the operator manages, as client-go's recorder does:
// a repeat of the same event within ten minutes bumps its count instead of adding another.
// Recording never throws; a failure is logged, since events are for people, not for control.
#pragma once

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "kube/api_client.h"

namespace controller {

class EventRecorder {
 public:
  EventRecorder(kube::ApiClient& client, std::string component, std::string instance);

  void normal(const nlohmann::json& object, const std::string& reason, const std::string& message);
  void warning(const nlohmann::json& object, const std::string& reason, const std::string& message);

 private:
  struct Seen {
    std::string event_name;
    int count = 0;
    std::string first_timestamp;
    std::chrono::steady_clock::time_point last;
  };

  void record(const nlohmann::json& object, const std::string& type, const std::string& reason,
              const std::string& message);

  kube::ApiClient& client_;
  const std::string component_;
  const std::string instance_;
  std::mutex mutex_;
  std::unordered_map<std::string, Seen> seen_;  // by object uid, type, reason and message
};

}  // namespace controller
