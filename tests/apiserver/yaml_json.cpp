#include "yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <regex>
#include <string>

namespace fakeapi {
namespace {

const std::string kTagStr = "tag:yaml.org,2002:str";
const std::string kTagInt = "tag:yaml.org,2002:int";
const std::string kTagFloat = "tag:yaml.org,2002:float";
const std::string kTagBool = "tag:yaml.org,2002:bool";
const std::string kTagNull = "tag:yaml.org,2002:null";

std::string where(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.is_null()) return "";
  return " at line " + std::to_string(m.line + 1) + ", column " + std::to_string(m.column + 1);
}

std::optional<bool> parse_bool(const std::string& s) {
  // YAML 1.1 booleans, as go-yaml v2 resolves them.
  static const char* const kTrue[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                      "True", "TRUE", "on",  "On",  "ON"};
  static const char* const kFalse[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                       "False", "FALSE", "off", "Off", "OFF"};
  for (const char* t : kTrue) {
    if (s == t) return true;
  }
  for (const char* f : kFalse) {
    if (s == f) return false;
  }
  return std::nullopt;
}

bool is_null_word(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

bool is_special_float(const std::string& s) {
  static const std::regex kSpecial(R"(^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$)");
  return std::regex_match(s, kSpecial);
}

// strconv.ParseInt(s, 0, 64) after go-yaml drops underscores; past int64, ParseUint.
std::optional<nlohmann::json> parse_int(std::string s) {
  std::erase(s, '_');
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  unsigned base = 10;
  if (s.size() - i >= 2 && s[i] == '0') {
    const char p = s[i + 1];
    if (p == 'x' || p == 'X') {
      base = 16, i += 2;
    } else if (p == 'o' || p == 'O') {
      base = 8, i += 2;
    } else if (p == 'b' || p == 'B') {
      base = 2, i += 2;
    } else {
      base = 8, i += 1;  // a leading 0 means octal in Go's base-0 parsing
    }
  }
  if (i >= s.size()) return std::nullopt;
  uint64_t value = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    unsigned d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    if (value > (std::numeric_limits<uint64_t>::max() - d) / base) return std::nullopt;
    value = value * base + d;
  }
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (neg) {
    if (value > kMax + 1) return std::nullopt;
    return nlohmann::json(value == kMax + 1 ? std::numeric_limits<int64_t>::min()
                                            : -static_cast<int64_t>(value));
  }
  if (value <= kMax) return nlohmann::json(static_cast<int64_t>(value));
  return nlohmann::json(value);
}

std::optional<double> parse_float(const std::string& s) {
  static const std::regex kFloat(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  if (!std::regex_match(s, kFloat)) return std::nullopt;
  return std::stod(s);
}

nlohmann::json plain_scalar(const std::string& s, const YAML::Node& n) {
  if (is_null_word(s)) return nullptr;
  if (auto b = parse_bool(s)) return *b;
  if (is_special_float(s)) throw YamlError("YAML value " + s + where(n) + " has no JSON form");
  const char c = s[0];
  if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
    if (auto i = parse_int(s)) return *i;
    if (auto f = parse_float(s)) return *f;
  }
  return s;
}

nlohmann::json tagged_scalar(const std::string& tag, const std::string& s, const YAML::Node& n) {
  if (tag == kTagStr) return s;
  if (tag == kTagNull) {
    if (is_null_word(s)) return nullptr;
  } else if (tag == kTagBool) {
    if (auto b = parse_bool(s)) return *b;
  } else if (tag == kTagInt) {
    if (auto i = parse_int(s)) return *i;
  } else if (tag == kTagFloat) {
    if (auto i = parse_int(s)) return i->get<double>();
    if (auto f = parse_float(s)) return *f;
  }
  throw YamlError("YAML value " + s + where(n) + " does not match its tag " + tag);
}

nlohmann::json convert(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return n.Tag() == kTagStr ? nlohmann::json("") : nlohmann::json(nullptr);
    case YAML::NodeType::Scalar: {
      const std::string& tag = n.Tag();
      const std::string& s = n.Scalar();
      if (tag == "?") return plain_scalar(s, n);  // yaml-cpp marks plain scalars with "?"
      if (tag.rfind("tag:yaml.org,2002:", 0) == 0) return tagged_scalar(tag, s, n);
      if (tag == "!") return s;   // quoted, literal or folded
      return plain_scalar(s, n);  // a local tag such as !foo: ignored
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const YAML::Node& item : n) out.push_back(convert(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : n) {
        if (kv.first.IsNull()) throw YamlError("YAML mapping key" + where(kv.first) + " is null");
        if (!kv.first.IsScalar()) {
          throw YamlError("YAML mapping key" + where(kv.first) + " is not a scalar");
        }
        const std::string& key = kv.first.Scalar();
        if (out.contains(key)) {
          throw YamlError("YAML mapping key \"" + key + "\"" + where(kv.first) +
                          " is already defined");
        }
        out[key] = convert(kv.second);
      }
      return out;
    }
  }
  return nullptr;
}

std::vector<YAML::Node> load_all(std::string_view text) {
  try {
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    throw YamlError(std::string("invalid YAML: ") + e.what());
  }
}

}  // namespace

nlohmann::json yaml_to_json(std::string_view text) {
  const std::vector<YAML::Node> docs = load_all(text);
  if (docs.size() > 1)
    throw YamlError("expected one YAML document, got " + std::to_string(docs.size()));
  return docs.empty() ? nlohmann::json(nullptr) : convert(docs[0]);
}

std::vector<nlohmann::json> yaml_documents_to_json(std::string_view text) {
  std::vector<nlohmann::json> out;
  for (const YAML::Node& doc : load_all(text)) {
    nlohmann::json j = convert(doc);
    if (!j.is_null()) out.push_back(std::move(j));
  }
  return out;
}

}  // namespace fakeapi
