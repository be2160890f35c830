#include "object_meta.h"

#include <regex>
#include <string>

namespace fakeapi {

std::vector<Cause> object_name_causes(const nlohmann::json& metadata) {
  std::vector<Cause> out;
  const nlohmann::json name =
      metadata.is_object() ? metadata.value("name", nlohmann::json()) : nlohmann::json();
  if (!name.is_string() || name.get<std::string>().empty()) {
    const bool generated = metadata.is_object() && metadata.contains("generateName");
    if (!generated) out.push_back(required("metadata.name", "name or generateName is required"));
    return out;
  }
  // validation.IsDNS1123Subdomain: one message per failed rule.
  const std::string& n = name.get_ref<const std::string&>();
  if (n.size() > 253)
    out.push_back(invalid("metadata.name", n, "must be no more than 253 characters"));
  static const std::regex kSubdomain(
      R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)");
  if (!std::regex_match(n, kSubdomain)) {
    out.push_back(invalid(
        "metadata.name", n,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
        "used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
  }
  return out;
}

}  // namespace fakeapi
