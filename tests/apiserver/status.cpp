#include "status.h"

#include <set>
#include <string>

#include "go_format.h"

namespace fakeapi {

nlohmann::ordered_json invalid_status(std::string_view kind, std::string_view group,
                                      std::string_view name, const std::vector<Cause>& causes) {
  std::string qualified(kind);
  if (!group.empty()) qualified += "." + std::string(group);

  // utilerrors.Aggregate: one error alone, several in brackets, duplicates only once.
  std::vector<std::string> messages;
  std::set<std::string> seen;
  for (const Cause& c : causes) {
    std::string m = to_string(c);
    if (seen.insert(m).second) messages.push_back(std::move(m));
  }
  std::string message = qualified + " " + gofmt::quote(name) + " is invalid";
  if (messages.size() == 1) {
    message += ": " + messages[0];
  } else if (!messages.empty()) {
    message += ": [";
    for (size_t i = 0; i < messages.size(); ++i) {
      if (i > 0) message += ", ";
      message += messages[i];
    }
    message += "]";
  }

  nlohmann::ordered_json cause_list = nlohmann::ordered_json::array();
  for (const Cause& c : causes) {
    cause_list.push_back({{"reason", c.reason}, {"message", c.message}, {"field", c.field}});
  }
  // metav1.StatusDetails fields are omitempty.
  nlohmann::ordered_json details = nlohmann::ordered_json::object();
  if (!name.empty()) details["name"] = name;
  if (!group.empty()) details["group"] = group;
  if (!kind.empty()) details["kind"] = kind;
  if (!causes.empty()) details["causes"] = std::move(cause_list);

  nlohmann::ordered_json status;
  status["kind"] = "Status";
  status["apiVersion"] = "v1";
  status["metadata"] = nlohmann::ordered_json::object();
  status["status"] = "Failure";
  status["message"] = message;
  status["reason"] = "Invalid";
  status["details"] = std::move(details);
  status["code"] = 422;
  return status;
}

}  // namespace fakeapi
