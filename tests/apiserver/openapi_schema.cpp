// OpenAPI validation of custom resources (validate) and the two passes before it (prune,
// apply_defaults), following kube-openapi's validator and apiextensions-apiserver's conversion
// of its errors to field errors.
#include "openapi_schema.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <regex>

#include "go_format.h"
#include "schema_formats.h"

namespace fakeapi {
namespace {

using nlohmann::json;

// --- Errors as kube-openapi produces them --------------------------------------------------

// The kube-openapi error kinds that ValidateCustomResource maps to different field errors.
enum class Code {
  kInvalidType,  // -> TypeInvalid
  kRequired,     // -> Required
  kTooLong,      // -> TooLong
  kEnum,         // -> NotSupported
  kMaxItems,     // -> TooMany
  kMaxProps,     // -> TooMany
  kOther,        // -> Invalid(path, value, message)
  kComposite,    // not a *Validation (anyOf, oneOf, ...) -> Invalid("<nil>", "", message)
};

struct OpenApiError {
  Code code = Code::kOther;
  std::string name;  // kube-openapi's path: "spec.replicas", "spec.list[0]", ".key", ""
  json value;        // the error's Value; null when it has none
  std::string message;
  std::vector<json> enum_values;
  int64_t valid = -1;  // the limit for TooLong, MaxItems and MaxProperties
};

using Errors = std::vector<OpenApiError>;

constexpr const char* kIn = "body";  // custom resources are always validated "in body"

OpenApiError make(Code code, std::string name, json value, std::string message) {
  return {code, std::move(name), std::move(value), std::move(message), {}, -1};
}

// errors.InvalidType with a string value: "<name> in body must be of type <t>: <quoted value>".
OpenApiError invalid_type(const std::string& name, const std::string& type_name,
                          const std::string& value) {
  return make(Code::kInvalidType, name, value,
              name + " in " + kIn + " must be of type " + type_name + ": " + gofmt::quote(value));
}

OpenApiError composite(std::string message) {
  return make(Code::kComposite, "", nullptr, std::move(message));
}

// --- Schema accessors ----------------------------------------------------------------------

bool flag(const json& s, const char* key) {
  auto it = s.find(key);
  return it != s.end() && it->is_boolean() && it->get<bool>();
}

const json* child(const json& s, const char* key) {
  auto it = s.find(key);
  return it == s.end() ? nullptr : &*it;
}

// The schema's types as the apiserver hands them to kube-openapi: int-or-string nodes become
// ["integer", "string"].
std::vector<std::string> types_of(const json& s) {
  if (flag(s, "x-kubernetes-int-or-string")) return {"integer", "string"};
  const json* t = child(s, "type");
  if (t && t->is_string() && !t->get<std::string>().empty()) return {t->get<std::string>()};
  return {};
}

bool has_type(const std::vector<std::string>& types, std::string_view t) {
  return std::find(types.begin(), types.end(), t) != types.end();
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::optional<double> number(const json& s, const char* key) {
  const json* v = child(s, key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

std::optional<int64_t> integer(const json& s, const char* key) {
  const json* v = child(s, key);
  if (!v || !v->is_number()) return std::nullopt;
  if (auto i = gofmt::as_int64(*v)) return i;
  return static_cast<int64_t>(v->get<double>());
}

// --- Value helpers -------------------------------------------------------------------------

// The JSON type kube-openapi infers from a decoded value.
std::string json_type(const json& v) {
  if (v.is_string()) return "string";
  if (gofmt::as_int64(v)) return "integer";
  if (v.is_number()) return "number";
  if (v.is_boolean()) return "boolean";
  if (v.is_array()) return "array";
  return "object";
}

// swag.IsFloat64AJSONInteger: integral and within the 2^53 range JSON integers are exact in.
bool is_json_integer(double f) {
  constexpr double kMaxJsonInt = 9007199254740992.0;
  return std::isfinite(f) && f >= -kMaxJsonInt && f <= kMaxJsonInt && f == std::trunc(f);
}

size_t rune_count(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Values compare as Go's reflect.DeepEqual after converting to the enum value's type: an int64
// matches an equal float64 enum and the other way round; strings, bools and structures as is.
bool enum_equal(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    auto ia = gofmt::as_int64(a);
    auto ib = gofmt::as_int64(b);
    if (ia && ib) return *ia == *ib;
    return a.get<double>() == b.get<double>();
  }
  return a == b;
}

// Go's regexp (RE2) is approximated by ECMAScript std::regex; both search unanchored.
const std::regex* compiled(const std::string& pattern, std::string* error) {
  static std::mutex mu;
  static std::map<std::string, std::optional<std::regex>> cache;
  static std::map<std::string, std::string> errors;
  std::lock_guard lock(mu);
  auto it = cache.find(pattern);
  if (it == cache.end()) {
    try {
      it = cache.emplace(pattern, std::regex(pattern, std::regex::ECMAScript)).first;
    } catch (const std::regex_error& e) {
      errors[pattern] = e.what();
      it = cache.emplace(pattern, std::nullopt).first;
    }
  }
  if (!it->second) {
    *error = errors[pattern];
    return nullptr;
  }
  return &*it->second;
}

// --- The validator -------------------------------------------------------------------------

void validate_node(const json& s, const json& v, const std::string& path, Errors& out);

// typeValidator: the declared type(s) or, for the formats the apiserver knows, the format.
void check_type(const json& s, const json& v, const std::string& path, Errors& out) {
  const std::vector<std::string> types = types_of(s);
  const std::string format = supported_format(s);
  if (types.empty() && format.empty()) return;
  if (v.is_null()) {
    if (!types.empty() && !has_type(types, "null") && !flag(s, "nullable")) {
      out.push_back(invalid_type(path, join(types, ","), "null"));
    }
    return;
  }
  const std::string sch = json_type(v);
  const bool is_float_int =
      sch == "number" && is_json_integer(v.get<double>()) && has_type(types, "integer");
  const bool is_int_float = sch == "integer" && has_type(types, "number");
  // The Go format of the decoded value; a number or object where a formatted string belongs is
  // reported against the format.
  const std::string data_format = sch == "integer" ? "int64" : sch == "number" ? "float64" : "";
  if (!v.is_string() && !v.is_array() && !format.empty() &&
      !(has_type(types, sch) || data_format == format || is_float_int || is_int_float)) {
    out.push_back(invalid_type(path, format, data_format));
    return;
  }
  if (!has_type(types, "number") && !has_type(types, "integer") && !format.empty() &&
      (v.is_string() || v.is_array())) {
    return;
  }
  if (!(has_type(types, sch) || is_float_int || is_int_float)) {
    out.push_back(invalid_type(path, join(types, ","), sch));
  }
}

// allOf, anyOf, oneOf and not. The real validator keeps the failures of the alternative that
// passed the most checks; this keeps the one with the fewest errors (the first on a tie).
void check_junctors(const json& s, const json& v, const std::string& path, Errors& out) {
  const std::string q = gofmt::quote(path);
  if (const json* any = child(s, "anyOf"); any && any->is_array() && !any->empty()) {
    std::optional<Errors> best;
    bool ok = false;
    for (const json& alt : *any) {
      Errors r;
      validate_node(alt, v, path, r);
      if (r.empty()) {
        ok = true;
        break;
      }
      if (!best || r.size() < best->size()) best = std::move(r);
    }
    if (!ok) {
      out.push_back(composite(q + " must validate at least one schema (anyOf)"));
      out.insert(out.end(), best->begin(), best->end());
    }
  }
  if (const json* one = child(s, "oneOf"); one && one->is_array() && !one->empty()) {
    std::optional<Errors> best;
    int valid = 0;
    for (const json& alt : *one) {
      Errors r;
      validate_node(alt, v, path, r);
      if (r.empty()) {
        ++valid;
      } else if (valid == 0 && (!best || r.size() < best->size())) {
        best = std::move(r);
      }
    }
    if (valid != 1) {
      out.push_back(
          composite(q + " must validate one and only one schema (oneOf). " +
                    (valid == 0 ? std::string("Found none valid")
                                : "Found " + std::to_string(valid) + " valid alternatives")));
      if (valid == 0 && best) out.insert(out.end(), best->begin(), best->end());
    }
  }
  if (const json* all = child(s, "allOf"); all && all->is_array() && !all->empty()) {
    size_t valid = 0;
    for (const json& alt : *all) {
      Errors r;
      validate_node(alt, v, path, r);
      valid += r.empty();
      out.insert(out.end(), r.begin(), r.end());
    }
    if (valid != all->size()) {
      out.push_back(composite(q + " must validate all the schemas (allOf)" +
                              (valid == 0 ? ". None validated" : "")));
    }
  }
  if (const json* no = child(s, "not"); no && no->is_object()) {
    Errors r;
    validate_node(*no, v, path, r);
    if (r.empty()) out.push_back(composite(q + " must not validate the schema (not)"));
  }
}

// stringValidator: maxLength, minLength, pattern; only the first failure is reported.
void check_string(const json& s, const std::string& data, const std::string& path, Errors& out) {
  const auto len = static_cast<int64_t>(rune_count(data));
  if (auto max = integer(s, "maxLength"); max && len > *max) {
    OpenApiError e =
        make(Code::kTooLong, path, data,
             path + " in " + kIn + " should be at most " + std::to_string(*max) + " chars long");
    e.valid = *max;
    out.push_back(std::move(e));
    return;
  }
  if (auto min = integer(s, "minLength"); min && len < *min) {
    out.push_back(
        make(Code::kOther, path, data,
             path + " in " + kIn + " should be at least " + std::to_string(*min) + " chars long"));
    return;
  }
  const json* pattern = child(s, "pattern");
  if (pattern && pattern->is_string() && !pattern->get<std::string>().empty()) {
    const std::string& p = pattern->get_ref<const std::string&>();
    std::string error;
    const std::regex* re = compiled(p, &error);
    if (!re) {
      out.push_back(make(Code::kOther, path, data,
                         path + " in " + kIn + " should match '" + p +
                             ", but pattern is invalid: " + error + "'"));
    } else if (!std::regex_search(data, *re)) {
      out.push_back(
          make(Code::kOther, path, data, path + " in " + kIn + " should match '" + p + "'"));
    }
  }
}

// formatValidator: strings in a format the apiserver checks.
void check_format(const json& s, const std::string& data, const std::string& path, Errors& out) {
  const std::string format = supported_format(s);
  if (format.empty() || format_matches(format, data)) return;
  out.push_back(invalid_type(path, format, data));
}

// numberValidator: multipleOf, minimum, maximum (in that order), in integer arithmetic for
// integer values (the limits are truncated to int64, as kube-openapi does).
void check_number(const json& s, const json& v, const std::string& path, Errors& out) {
  const std::string prefix = path + " in " + kIn + " should ";
  const auto as_int = gofmt::as_int64(v);
  const double f = v.get<double>();
  auto limit_text = [&](double limit) {
    return as_int ? std::to_string(static_cast<int64_t>(limit)) : gofmt::format_float(limit);
  };
  if (auto mo = number(s, "multipleOf")) {
    const auto factor = static_cast<int64_t>(*mo);
    bool multiple = true;
    if (as_int && factor != 0) {
      multiple = (*as_int / factor) * factor == *as_int;
    } else if (*mo > 0) {
      multiple = is_json_integer(*mo < 1 ? (1 / *mo) * f : f / *mo);
    }
    if (!multiple) {
      out.push_back(make(Code::kOther, path, v, prefix + "be a multiple of " + limit_text(*mo)));
    }
  }
  if (auto min = number(s, "minimum")) {
    const bool excl = flag(s, "exclusiveMinimum");
    bool bad = false;
    if (as_int) {
      const auto m = static_cast<int64_t>(*min);
      bad = excl ? *as_int <= m : *as_int < m;
    } else {
      bad = excl ? f <= *min : f < *min;
    }
    if (bad) {
      out.push_back(make(Code::kOther, path, v,
                         prefix + (excl ? "be greater than " : "be greater than or equal to ") +
                             limit_text(*min)));
    }
  }
  if (auto max = number(s, "maximum")) {
    const bool excl = flag(s, "exclusiveMaximum");
    bool bad = false;
    if (as_int) {
      const auto m = static_cast<int64_t>(*max);
      bad = excl ? *as_int >= m : *as_int > m;
    } else {
      bad = excl ? f >= *max : f > *max;
    }
    if (bad) {
      out.push_back(
          make(Code::kOther, path, v,
               prefix + (excl ? "be less than " : "be less than or equal to ") + limit_text(*max)));
    }
  }
}

// schemaSliceValidator: items (each at path[i]), minItems, maxItems, uniqueItems.
void check_array(const json& s, const json& v, const std::string& path, Errors& out) {
  if (const json* items = child(s, "items"); items && items->is_object()) {
    for (size_t i = 0; i < v.size(); ++i) {
      validate_node(*items, v[i], path + "[" + std::to_string(i) + "]", out);
    }
  }
  const auto size = static_cast<int64_t>(v.size());
  if (auto min = integer(s, "minItems"); min && size < *min) {
    out.push_back(
        make(Code::kOther, path, size,
             path + " in " + kIn + " should have at least " + std::to_string(*min) + " items"));
  }
  if (auto max = integer(s, "maxItems"); max && size > *max) {
    OpenApiError e =
        make(Code::kMaxItems, path, size,
             path + " in " + kIn + " should have at most " + std::to_string(*max) + " items");
    e.valid = *max;
    out.push_back(std::move(e));
  }
  if (flag(s, "uniqueItems")) {
    for (size_t i = 0; i < v.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (v[i] == v[j]) {
          out.push_back(make(Code::kOther, path, nullptr,
                             path + " in " + kIn + " shouldn't contain duplicates"));
          return;
        }
      }
    }
  }
}

// basicCommonValidator: enum. null never matches.
void check_enum(const json& s, const json& v, const std::string& path, Errors& out) {
  const json* e = child(s, "enum");
  if (!e || !e->is_array() || e->empty()) return;
  if (!v.is_null()) {
    for (const json& allowed : *e) {
      if (enum_equal(v, allowed)) return;
    }
  }
  OpenApiError err =
      make(Code::kEnum, path, v, path + " in " + kIn + " should be one of " + gofmt::value_v(*e));
  err.enum_values.assign(e->begin(), e->end());
  out.push_back(std::move(err));
}

// objectValidator: min/maxProperties (which end the object's checks), additional properties,
// each present property (in name order), then the missing required properties.
void check_object(const json& s, const json& v, const std::string& path, Errors& out) {
  const auto n = static_cast<int64_t>(v.size());
  if (auto min = integer(s, "minProperties"); min && n < *min) {
    out.push_back(make(
        Code::kOther, path, n,
        path + " in " + kIn + " should have at least " + std::to_string(*min) + " properties"));
    return;
  }
  if (auto max = integer(s, "maxProperties"); max && n > *max) {
    OpenApiError e =
        make(Code::kMaxProps, path, n,
             path + " in " + kIn + " should have at most " + std::to_string(*max) + " properties");
    e.valid = *max;
    out.push_back(std::move(e));
    return;
  }
  const json* props = child(s, "properties");
  auto is_property = [&](const std::string& k) {
    return props && props->is_object() && props->contains(k);
  };
  if (const json* add = child(s, "additionalProperties")) {
    for (const auto& [k, item] : v.items()) {
      if (is_property(k)) continue;
      if (add->is_boolean() && !add->get<bool>()) {
        out.push_back(make(Code::kOther, path, k,
                           path + "." + k + " in " + kIn + " is a forbidden property"));
      } else if (add->is_object()) {
        validate_node(*add, item, path + "." + k, out);
      }
    }
  }
  if (props && props->is_object()) {
    for (const auto& [k, ps] : props->items()) {
      auto it = v.find(k);
      if (it != v.end()) validate_node(ps, *it, path.empty() ? k : path + "." + k, out);
    }
  }
  if (const json* req = child(s, "required"); req && req->is_array()) {
    for (const json& k : *req) {
      if (k.is_string() && !v.contains(k.get<std::string>())) {
        const std::string name = path + "." + k.get<std::string>();
        out.push_back(make(Code::kRequired, name, nullptr, name + " in " + kIn + " is required"));
      }
    }
  }
}

// SchemaValidator.Validate: every validator that applies to the value's kind, in kube-openapi's
// order; a type mismatch does not stop the others.
void validate_node(const json& s, const json& v, const std::string& path, Errors& out) {
  if (!s.is_object()) return;
  check_type(s, v, path, out);
  if (v.is_null()) {
    check_enum(s, v, path, out);
    return;
  }
  check_junctors(s, v, path, out);
  if (v.is_string()) {
    check_string(s, v.get_ref<const std::string&>(), path, out);
    check_format(s, v.get_ref<const std::string&>(), path, out);
  }
  if (v.is_number()) check_number(s, v, path, out);
  if (v.is_array()) check_array(s, v, path, out);
  check_enum(s, v, path, out);
  if (v.is_object()) check_object(s, v, path, out);
}

// apiextensions' ValidateCustomResource: kube-openapi errors to field errors.
Cause to_cause(const OpenApiError& e) {
  std::string field(kNilField);
  if (e.code != Code::kComposite && !e.name.empty() && e.name != ".") {
    field = e.name[0] == '.' ? e.name.substr(1) : e.name;
  }
  const json value = e.value.is_null() ? json("") : e.value;
  switch (e.code) {
    case Code::kRequired:
      return required(field);
    case Code::kEnum: {
      std::vector<std::string> values;
      for (const json& allowed : e.enum_values) {
        values.push_back(allowed.is_string() ? allowed.get<std::string>() : allowed.dump());
      }
      return not_supported(field, e.value, values);
    }
    case Code::kTooLong:
      return too_long(field, e.valid);
    case Code::kMaxItems:
    case Code::kMaxProps:
      return too_many(field, gofmt::as_int64(e.value).value_or(-1), e.valid);
    case Code::kInvalidType:
      return type_invalid(field, value, e.message);
    case Code::kOther:
      return invalid(field, value, e.message);
    case Code::kComposite:
      return invalid(field, "", e.message);
  }
  return invalid(field, value, e.message);
}

// --- Pruning -------------------------------------------------------------------------------

std::string child_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

void prune_node(const json* s, json& v, const std::string& path, bool root,
                std::vector<std::string>& pruned);

// Below x-kubernetes-preserve-unknown-fields: unknown keys stay, specified ones are still pruned.
void skip_prune(const json* s, json& v, const std::string& path, std::vector<std::string>& pruned) {
  if (!s) return;
  if (v.is_object()) {
    const json* props = child(*s, "properties");
    const json* add = child(*s, "additionalProperties");
    for (auto& [k, item] : v.items()) {
      if (flag(*s, "x-kubernetes-embedded-resource") &&
          (k == "apiVersion" || k == "kind" || k == "metadata")) {
        continue;
      }
      if (props && props->contains(k)) {
        prune_node(&(*props)[k], item, child_path(path, k), false, pruned);
      } else if (add && add->is_object()) {
        prune_node(add, item, child_path(path, k), false, pruned);
      }
    }
  } else if (v.is_array()) {
    const json* items = child(*s, "items");
    for (size_t i = 0; i < v.size(); ++i) {
      skip_prune(items, v[i], path + "[" + std::to_string(i) + "]", pruned);
    }
  }
}

void prune_node(const json* s, json& v, const std::string& path, bool root,
                std::vector<std::string>& pruned) {
  if (s && flag(*s, "x-kubernetes-preserve-unknown-fields")) {
    skip_prune(s, v, path, pruned);
    return;
  }
  if (v.is_object()) {
    // The resource root and embedded resources keep apiVersion, kind and metadata.
    const bool embedded = root || (s && flag(*s, "x-kubernetes-embedded-resource"));
    const json* props = s ? child(*s, "properties") : nullptr;
    const json* add = s ? child(*s, "additionalProperties") : nullptr;
    std::vector<std::string> drop;
    for (auto& [k, item] : v.items()) {
      if (embedded && (((k == "apiVersion" || k == "kind") && item.is_string()) ||
                       (k == "metadata" && item.is_object()))) {
        continue;
      }
      if (props && props->contains(k)) {
        prune_node(&(*props)[k], item, child_path(path, k), false, pruned);
      } else if (add && add->is_object()) {
        prune_node(add, item, child_path(path, k), false, pruned);
      } else if (add && add->is_boolean() && add->get<bool>()) {
        continue;  // additionalProperties: true keeps any value (not structural, but harmless)
      } else {
        drop.push_back(k);
      }
    }
    for (const std::string& k : drop) {
      pruned.push_back(child_path(path, k));
      v.erase(k);
    }
  } else if (v.is_array()) {
    const json* items = s ? child(*s, "items") : nullptr;
    for (size_t i = 0; i < v.size(); ++i) {
      prune_node(items, v[i], path + "[" + std::to_string(i) + "]", false, pruned);
    }
  }
}

// --- Defaulting ----------------------------------------------------------------------------

const json* field_schema(const json& s, const std::string& key) {
  if (const json* props = child(s, "properties"); props && props->contains(key)) {
    return &(*props)[key];
  }
  if (const json* add = child(s, "additionalProperties"); add && add->is_object()) return add;
  return nullptr;
}

bool nullable(const json* s) { return s && flag(*s, "nullable"); }
const json* default_of(const json* s) { return s ? child(*s, "default") : nullptr; }

// PruneNonNullableNullsWithoutDefaults: such nulls would only fail validation.
void drop_nulls(const json* s, json& v) {
  if (v.is_object()) {
    std::vector<std::string> drop;
    for (auto& [k, item] : v.items()) {
      const json* fs = s ? field_schema(*s, k) : nullptr;
      if (item.is_null() && fs && !nullable(fs) && !default_of(fs)) {
        drop.push_back(k);
      } else {
        drop_nulls(fs, item);
      }
    }
    for (const std::string& k : drop) v.erase(k);
  } else if (v.is_array()) {
    const json* items = s ? child(*s, "items") : nullptr;
    for (json& item : v) drop_nulls(items, item);
  }
}

void default_node(const json* s, json& v) {
  if (!s) return;
  if (v.is_object()) {
    if (const json* props = child(*s, "properties"); props && props->is_object()) {
      for (const auto& [k, ps] : props->items()) {
        const json* d = default_of(&ps);
        if (!d) continue;
        auto it = v.find(k);
        if (it == v.end() || (it->is_null() && !nullable(&ps))) v[k] = *d;
      }
    }
    for (auto& [k, item] : v.items()) {
      const json* fs = field_schema(*s, k);
      if (!fs) continue;
      if (item.is_null() && !nullable(fs) && default_of(fs)) item = *default_of(fs);
      default_node(fs, item);
    }
  } else if (v.is_array()) {
    const json* items = child(*s, "items");
    if (!items) return;
    for (json& item : v) {
      if (item.is_null() && !nullable(items) && default_of(items)) item = *default_of(items);
      default_node(items, item);
    }
  }
}

}  // namespace

std::vector<Cause> validate(const json& schema, const json& value) {
  Errors errors;
  validate_node(schema, value, "", errors);
  std::vector<Cause> causes;
  causes.reserve(errors.size());
  for (const OpenApiError& e : errors) causes.push_back(to_cause(e));
  return causes;
}

void apply_defaults(const json& schema, json& value) {
  drop_nulls(&schema, value);
  default_node(&schema, value);
}

std::vector<std::string> prune(const json& schema, json& value, bool resource_root) {
  std::vector<std::string> pruned;
  prune_node(&schema, value, "", resource_root, pruned);
  return pruned;
}

}  // namespace fakeapi
