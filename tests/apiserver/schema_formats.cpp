#include "schema_formats.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>
#include <string>

namespace fakeapi {
namespace {

std::string normalized(std::string_view format) {
  std::string out(format);
  std::erase(out, '-');  // go-openapi's format name normalization
  return out;
}

// time.Parse("2006-01-02", s): four-digit year, two-digit month and day, a real calendar day.
bool is_date(std::string_view s) {
  static const std::regex kDate(R"(^([0-9]{4})-([0-9]{2})-([0-9]{2})$)");
  std::cmatch m;
  if (!std::regex_match(s.begin(), s.end(), m, kDate)) return false;
  const int year = std::stoi(m[1]);
  const int month = std::stoi(m[2]);
  const int day = std::stoi(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

// strfmt.IsDateTime: a date, 't' (any case), then hh:mm:ss[.frac] and z or an offset.
bool is_date_time(std::string_view s) {
  if (s.size() < 4) return false;
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const size_t t = lower.find('t');
  if (t == std::string::npos || !is_date(std::string_view(lower).substr(0, t))) return false;
  const size_t next = lower.find('t', t + 1);
  const std::string time = lower.substr(t + 1, next == std::string::npos ? next : next - t - 1);
  static const std::regex kTime(
      R"(^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$)");
  std::smatch m;
  if (!std::regex_search(time, m, kTime)) return false;
  return m[1].str() <= "23" && m[2].str() <= "59" && m[3].str() <= "59";
}

bool is_base64(std::string_view s) {
  if (s.size() % 4 != 0) return false;
  size_t pad = 0;
  while (pad < s.size() && pad < 2 && s[s.size() - 1 - pad] == '=') ++pad;
  for (size_t i = 0; i < s.size() - pad; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!std::isalnum(c) && c != '+' && c != '/') return false;
  }
  return true;
}

// strfmt.IsIPv4: net.ParseIP accepts it and it has a dot (dotted quad, no leading zeros).
bool is_ipv4(std::string_view s) {
  static const std::string kOctet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  static const std::regex kIpv4("^(" + kOctet + "\\.){3}" + kOctet + "$");
  return std::regex_match(s.begin(), s.end(), kIpv4);
}

bool matches(std::string_view s, const char* pattern) {
  const std::regex re(pattern, std::regex::ECMAScript | std::regex::icase);
  return std::regex_match(s.begin(), s.end(), re);
}

}  // namespace

std::string supported_format(const nlohmann::json& schema) {
  static const std::set<std::string> kSupported = {
      "bsonobjectid", "uri",    "email",    "hostname",   "ipv4",     "ipv6",
      "cidr",         "mac",    "uuid",     "uuid3",      "uuid4",    "uuid5",
      "isbn",         "isbn10", "isbn13",   "creditcard", "ssn",      "hexcolor",
      "rgbcolor",     "byte",   "password", "date",       "duration", "datetime"};
  auto it = schema.find("format");
  if (it == schema.end() || !it->is_string()) return "";
  const std::string format = it->get<std::string>();
  return kSupported.contains(normalized(format)) ? format : "";
}

bool format_matches(std::string_view format, std::string_view value) {
  const std::string f = normalized(format);
  if (f == "datetime") return is_date_time(value);
  if (f == "date") return is_date(value);
  if (f == "byte") return is_base64(value);
  if (f == "ipv4") return is_ipv4(value);
  if (f == "uuid")
    return matches(value, "^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$");
  if (f == "uuid3")
    return matches(value, "^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$");
  if (f == "uuid4" || f == "uuid5") {
    const std::string pattern = "^[0-9a-f]{8}-?[0-9a-f]{4}-?" +
                                std::string(f == "uuid4" ? "4" : "5") +
                                "[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$";
    return matches(value, pattern.c_str());
  }
  return true;
}

}  // namespace fakeapi
