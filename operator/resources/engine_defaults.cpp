#include "resources/engine_defaults.h"

#include <cctype>

namespace resources {
namespace {

// "30+" and "30" both read as 30 (managed clusters append '+'); -1 when there is no number.
int leading_int(const nlohmann::json& v) {
  if (!v.is_string()) return -1;
  const std::string& s = v.get_ref<const std::string&>();
  int n = 0;
  size_t i = 0;
  for (; i < s.size() && i < 6 && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
    n = n * 10 + (s[i] - '0');
  }
  return i == 0 ? -1 : n;
}

}  // namespace

bool lifecycle_sleep_supported(const nlohmann::json& version_info) {
  if (!version_info.is_object()) return false;
  const int major = leading_int(version_info.value("major", nlohmann::json()));
  const int minor = leading_int(version_info.value("minor", nlohmann::json()));
  return major > 1 || (major == 1 && minor >= 30);
}

}  // namespace resources
