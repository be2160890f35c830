// What kube-apiserver checks in a CRD's schema before accepting it: the structural-schema rules
// ("Specifying a structural schema" in the Kubernetes CustomResourceDefinition docs), the keywords
// apiextensions v1 supports, and the shape of x-kubernetes-validations. The rules listed in
// openapi_schema.h are implemented as documented there; the detail wording of the messages follows
// the real server where known and is otherwise descriptive.
#include <algorithm>
#include <set>
#include <string>

#include "openapi_schema.h"

namespace fakeapi {
namespace {

using nlohmann::json;

const std::set<std::string> kTypes = {"array", "boolean", "integer", "number", "object", "string"};

// Fields of apiextensions.k8s.io/v1 JSONSchemaProps.
const std::set<std::string> kKnownKeywords = {
    "id",
    "$schema",
    "$ref",
    "description",
    "type",
    "format",
    "title",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
    "enum",
    "maxProperties",
    "minProperties",
    "required",
    "items",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "properties",
    "additionalProperties",
    "patternProperties",
    "dependencies",
    "additionalItems",
    "definitions",
    "externalDocs",
    "example",
    "nullable",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-list-type",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
};

bool flag(const json& s, const char* key) {
  auto it = s.find(key);
  return it != s.end() && it->is_boolean() && it->get<bool>();
}

std::string type_of(const json& s) {
  auto it = s.find("type");
  return it != s.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string key_path(const std::string& path, const char* what, const std::string& key) {
  return path + "." + what + "[" + key + "]";
}

std::string index_path(const std::string& path, const char* what, size_t i) {
  return path + "." + what + "[" + std::to_string(i) + "]";
}

// Calls fn(node, path) for every schema node: properties, additionalProperties, items and the
// junctors, depth first.
template <typename Fn>
void for_each_node(const json& s, const std::string& path, Fn&& fn) {
  if (!s.is_object()) return;
  fn(s, path);
  if (auto it = s.find("properties"); it != s.end() && it->is_object()) {
    for (const auto& [k, ps] : it->items()) for_each_node(ps, key_path(path, "properties", k), fn);
  }
  if (auto it = s.find("additionalProperties"); it != s.end() && it->is_object()) {
    for_each_node(*it, path + ".additionalProperties", fn);
  }
  if (auto it = s.find("items"); it != s.end() && it->is_object()) {
    for_each_node(*it, path + ".items", fn);
  }
  for (const char* j : {"allOf", "anyOf", "oneOf"}) {
    if (auto it = s.find(j); it != s.end() && it->is_array()) {
      for (size_t i = 0; i < it->size(); ++i) for_each_node((*it)[i], index_path(path, j, i), fn);
    }
  }
  if (auto it = s.find("not"); it != s.end()) for_each_node(*it, path + ".not", fn);
}

enum class Position { kRoot, kField, kItems, kJunctor };

class StructuralChecker {
 public:
  explicit StructuralChecker(std::vector<Cause>& out) : out_(out) {}

  // `outer` is the node outside all junctors that a junctor node constrains (rule 4's
  // completeness), null when there is none; `int_or_string` says that node is int-or-string.
  void node(const json& s, const std::string& path, Position pos, bool in_metadata,
            const json* outer, const std::string& outer_path, bool int_or_string) {
    if (!s.is_object()) {
      out_.push_back(invalid(path, s, "must be a schema object"));
      return;
    }
    const bool in_junctor = pos == Position::kJunctor;
    unsupported_keywords(s, path);
    type_value(s, path, in_junctor, int_or_string);
    if (in_junctor) {
      junctor_generics(s, path);
    } else {
      missing_type(s, path, pos);
      object_and_array_shape(s, path);
      extensions(s, path);
      if (pos == Position::kRoot) root_metadata(s, path);
      if (s.contains("default")) default_value(s, path, in_metadata);
    }
    enum_values(s, path);
    children(s, path, pos, in_metadata, outer, outer_path, int_or_string);
  }

 private:
  void unsupported_keywords(const json& s, const std::string& path) {
    static const std::pair<const char*, const char*> kUnsupported[] = {
        {"$ref", "$ref is not supported"},
        {"definitions", "definitions are not supported"},
        {"dependencies", "dependencies are not supported"},
        {"patternProperties", "patternProperties is not supported"},
        {"additionalItems", "additionalItems is not supported"},
        {"id", "id is not supported"},
        {"$schema", "$schema is not supported"},
    };
    for (const auto& [key, why] : kUnsupported) {
      if (s.contains(key)) out_.push_back(forbidden(path + "." + key, why));
    }
    if (flag(s, "uniqueItems")) {
      out_.push_back(forbidden(path + ".uniqueItems",
                               "uniqueItems cannot be set to true since the runtime complexity "
                               "becomes quadratic"));
    }
    if (auto it = s.find("items"); it != s.end() && it->is_array()) {
      out_.push_back(forbidden(path + ".items", "items must be a schema object and not an array"));
    }
  }

  void type_value(const json& s, const std::string& path, bool in_junctor, bool int_or_string) {
    auto it = s.find("type");
    if (it == s.end()) return;
    const std::string t = it->is_string() ? it->get<std::string>() : it->dump();
    if (t == "null") {
      out_.push_back(
          forbidden(path + ".type", "type cannot be set to null, use nullable as an alternative"));
    } else if (!t.empty() && !kTypes.contains(t)) {
      out_.push_back(not_supported(path + ".type", *it, {kTypes.begin(), kTypes.end()}));
    }
    // The one type allowed in a junctor: integer or string under x-kubernetes-int-or-string.
    if (in_junctor && !t.empty() && !(int_or_string && (t == "integer" || t == "string"))) {
      out_.push_back(forbidden(path + ".type", "must be empty to be structural"));
    }
    if (!in_junctor && flag(s, "x-kubernetes-int-or-string") && !t.empty()) {
      out_.push_back(
          invalid(path + ".type", *it, "must be empty if x-kubernetes-int-or-string is true"));
    }
  }

  void junctor_generics(const json& s, const std::string& path) {
    static const std::pair<const char*, const char*> kForbidden[] = {
        {"description", "must be empty to be structural"},
        {"title", "must be empty to be structural"},
        {"default", "must be undefined to be structural"},
        {"additionalProperties", "must be undefined to be structural"},
        {"nullable", "must be false to be structural"},
        {"x-kubernetes-preserve-unknown-fields", "must be undefined to be structural"},
        {"x-kubernetes-embedded-resource", "must be false to be structural"},
        {"x-kubernetes-int-or-string", "must be false to be structural"},
        {"x-kubernetes-list-map-keys", "must be empty to be structural"},
        {"x-kubernetes-list-type", "must be undefined to be structural"},
        {"x-kubernetes-map-type", "must be undefined to be structural"},
    };
    for (const auto& [key, why] : kForbidden) {
      if (s.contains(key)) out_.push_back(forbidden(path + "." + key, why));
    }
  }

  void missing_type(const json& s, const std::string& path, Position pos) {
    if (pos == Position::kRoot) {
      const std::string t = type_of(s);
      if (t.empty()) {
        out_.push_back(required(path + ".type", "must not be empty at the root"));
      } else if (t != "object") {
        out_.push_back(invalid(path + ".type", t, "must be object at the root"));
      }
      return;
    }
    if (!type_of(s).empty() || flag(s, "x-kubernetes-int-or-string") ||
        flag(s, "x-kubernetes-preserve-unknown-fields")) {
      return;
    }
    out_.push_back(required(path + ".type", pos == Position::kItems
                                                ? "must not be empty for specified array items"
                                                : "must not be empty for specified object fields"));
  }

  void object_and_array_shape(const json& s, const std::string& path) {
    auto props = s.find("properties");
    auto add = s.find("additionalProperties");
    if (props != s.end() && !props->empty() && add != s.end() &&
        !(add->is_boolean() && add->get<bool>())) {
      out_.push_back(forbidden(path + ".additionalProperties",
                               "additionalProperties and properties are mutual exclusive"));
    }
    if (type_of(s) == "array" && !s.contains("items")) {
      out_.push_back(required(path + ".items", "must be specified"));
    }
  }

  void extensions(const json& s, const std::string& path) {
    const std::string t = type_of(s);
    if (auto it = s.find("x-kubernetes-preserve-unknown-fields"); it != s.end()) {
      if (!(it->is_boolean() && it->get<bool>())) {
        out_.push_back(invalid(path + ".x-kubernetes-preserve-unknown-fields", *it,
                               "must be true or undefined"));
      } else if (!t.empty() && t != "object") {
        out_.push_back(invalid(path + ".type", t,
                               "must be object if x-kubernetes-preserve-unknown-fields is true"));
      }
    }
    if (flag(s, "x-kubernetes-embedded-resource")) {
      if (t != "object") {
        out_.push_back(
            invalid(path + ".type", t, "must be object if x-kubernetes-embedded-resource is true"));
      }
      if (!s.contains("properties") && !flag(s, "x-kubernetes-preserve-unknown-fields")) {
        out_.push_back(required(path + ".properties",
                                "must not be empty if x-kubernetes-embedded-resource is true "
                                "without x-kubernetes-preserve-unknown-fields"));
      }
    }
    list_type(s, path, t);
    if (auto it = s.find("x-kubernetes-map-type"); it != s.end()) {
      const json& v = *it;
      if (!v.is_string() || (v != "atomic" && v != "granular")) {
        out_.push_back(not_supported(path + ".x-kubernetes-map-type", v, {"atomic", "granular"}));
      } else if (t != "object") {
        out_.push_back(
            invalid(path + ".type", t, "must be object if x-kubernetes-map-type is set"));
      }
    }
  }

  void list_type(const json& s, const std::string& path, const std::string& t) {
    auto lt = s.find("x-kubernetes-list-type");
    auto keys = s.find("x-kubernetes-list-map-keys");
    const bool is_map = lt != s.end() && *lt == "map";
    if (keys != s.end() && !is_map) {
      out_.push_back(forbidden(path + ".x-kubernetes-list-map-keys",
                               "must not be set if x-kubernetes-list-type is not map"));
    }
    if (lt == s.end()) return;
    if (!lt->is_string() || (*lt != "atomic" && *lt != "set" && *lt != "map")) {
      out_.push_back(
          not_supported(path + ".x-kubernetes-list-type", *lt, {"atomic", "set", "map"}));
      return;
    }
    if (t != "array") {
      out_.push_back(invalid(path + ".type", t, "must be array if x-kubernetes-list-type is set"));
      return;
    }
    const json items = s.value("items", json::object());
    const std::string item_type = items.is_object() ? type_of(items) : "";
    if (*lt == "set" && (item_type == "object" || item_type == "array") &&
        items.value("x-kubernetes-map-type", "") != "atomic" &&
        items.value("x-kubernetes-list-type", "") != "atomic") {
      out_.push_back(invalid(path + ".items.type", item_type,
                             "must be a scalar or atomic if x-kubernetes-list-type is set"));
    }
    if (!is_map) return;
    if (item_type != "object") {
      out_.push_back(invalid(path + ".items.type", item_type,
                             "must be object if parent array's x-kubernetes-list-type is map"));
    }
    if (keys == s.end() || !keys->is_array() || keys->empty()) {
      out_.push_back(required(path + ".x-kubernetes-list-map-keys",
                              "must not be empty if x-kubernetes-list-type is map"));
      return;
    }
    const json props = items.is_object() ? items.value("properties", json::object()) : json();
    const json req = items.is_object() ? items.value("required", json::array()) : json();
    for (size_t i = 0; i < keys->size(); ++i) {
      const json& k = (*keys)[i];
      const std::string kp = index_path(path, "x-kubernetes-list-map-keys", i);
      if (!k.is_string() || !props.is_object() || !props.contains(k.get<std::string>())) {
        out_.push_back(invalid(kp, k, "must be the name of an item property"));
        continue;
      }
      const bool is_required = std::find(req.begin(), req.end(), k) != req.end();
      if (!is_required && !props[k.get<std::string>()].contains("default")) {
        out_.push_back(invalid(kp, k, "must be a required property or have a default"));
      }
    }
  }

  // Rule 6: the apiserver owns metadata; a schema may only narrow name and generateName.
  void root_metadata(const json& s, const std::string& path) {
    auto props = s.find("properties");
    if (props == s.end() || !props->is_object() || !props->contains("metadata")) return;
    const json& m = (*props)["metadata"];
    bool ok = m.is_object();
    if (ok) {
      for (const auto& [k, v] : m.items()) {
        if (k == "properties" && v.is_object()) {
          for (const auto& [name, unused] : v.items()) {
            ok = ok && (name == "name" || name == "generateName");
          }
        } else {
          ok = ok && (k == "type" || k == "description");
        }
      }
    }
    if (!ok) {
      out_.push_back(forbidden(key_path(path, "properties", "metadata"),
                               "must not specify anything other than name and generateName, but "
                               "metadata is implicitly specified"));
    }
  }

  // Rule 7: a default must be valid (once defaulted inside), pruned, and outside metadata.
  void default_value(const json& s, const std::string& path, bool in_metadata) {
    const std::string dpath = path + ".default";
    const json& d = s["default"];
    if (in_metadata) {
      out_.push_back(forbidden(dpath, "must not be set inside metadata"));
      return;
    }
    json pruned = d;
    if (!prune(s, pruned, false).empty() || pruned != d) {
      out_.push_back(invalid(dpath, d, "must not have unknown fields"));
    }
    json defaulted = d;
    apply_defaults(s, defaulted);
    for (Cause c : validate(s, defaulted)) {
      c.field = (c.field.empty() || c.field == kNilField) ? dpath : dpath + "." + c.field;
      out_.push_back(std::move(c));
    }
  }

  void enum_values(const json& s, const std::string& path) {
    auto e = s.find("enum");
    if (e == s.end()) return;
    if (!e->is_array()) {
      out_.push_back(invalid(path + ".enum", *e, "must be a list of values"));
      return;
    }
    // Only the type is checked: enum values of a pattern-constrained string are the author's
    // business.
    json type_only = json::object();
    for (const char* k : {"type", "nullable", "x-kubernetes-int-or-string"}) {
      if (s.contains(k)) type_only[k] = s[k];
    }
    for (size_t i = 0; i < e->size(); ++i) {
      for (Cause c : validate(type_only, (*e)[i])) {
        c.field = index_path(path, "enum", i);
        out_.push_back(std::move(c));
      }
    }
  }

  void children(const json& s, const std::string& path, Position pos, bool in_metadata,
                const json* outer, const std::string& outer_path, bool int_or_string) {
    const bool in_junctor = pos == Position::kJunctor;
    if (auto it = s.find("properties"); it != s.end() && it->is_object()) {
      for (const auto& [k, ps] : it->items()) {
        const std::string child = key_path(path, "properties", k);
        const json* outer_child = nullptr;
        std::string outer_child_path;
        if (in_junctor) {
          // Rule 4: what a junctor constrains must exist outside of it.
          const json* op = nullptr;
          if (outer && outer->contains("properties")) op = &(*outer)["properties"];
          if (op && op->is_object() && op->contains(k)) {
            outer_child = &(*op)[k];
            outer_child_path = key_path(outer_path, "properties", k);
          } else if (outer) {
            out_.push_back(required(key_path(outer_path, "properties", k),
                                    "because it is defined in " + child));
          }
        }
        const bool metadata = in_metadata || (pos == Position::kRoot && k == "metadata");
        node(ps, child, in_junctor ? Position::kJunctor : Position::kField, metadata, outer_child,
             outer_child_path, outer_child && flag(*outer_child, "x-kubernetes-int-or-string"));
      }
    } else if (it != s.end()) {
      out_.push_back(invalid(path + ".properties", *it, "must be a map of schemas"));
    }
    if (auto it = s.find("additionalProperties"); it != s.end() && it->is_object()) {
      node(*it, path + ".additionalProperties", in_junctor ? Position::kJunctor : Position::kField,
           in_metadata, nullptr, "", false);
    }
    if (auto it = s.find("items"); it != s.end() && it->is_object()) {
      const json* outer_items = nullptr;
      std::string outer_items_path;
      if (in_junctor && outer) {
        if (outer->contains("items") && (*outer)["items"].is_object()) {
          outer_items = &(*outer)["items"];
          outer_items_path = outer_path + ".items";
        } else {
          out_.push_back(
              required(outer_path + ".items", "because it is defined in " + path + ".items"));
        }
      }
      node(*it, path + ".items", in_junctor ? Position::kJunctor : Position::kItems, in_metadata,
           outer_items, outer_items_path,
           outer_items && flag(*outer_items, "x-kubernetes-int-or-string"));
    }
    // Junctor alternatives constrain this node (or, inside a junctor, the same outer node).
    const json* target = in_junctor ? outer : &s;
    const std::string target_path = in_junctor ? outer_path : path;
    const bool target_int_or_string =
        in_junctor ? int_or_string : flag(s, "x-kubernetes-int-or-string");
    for (const char* j : {"allOf", "anyOf", "oneOf"}) {
      auto it = s.find(j);
      if (it == s.end()) continue;
      if (!it->is_array()) {
        out_.push_back(invalid(path + "." + j, *it, "must be a list of schemas"));
        continue;
      }
      for (size_t i = 0; i < it->size(); ++i) {
        node((*it)[i], index_path(path, j, i), Position::kJunctor, in_metadata, target, target_path,
             target_int_or_string && std::string(j) != "oneOf");
      }
    }
    if (auto it = s.find("not"); it != s.end()) {
      node(*it, path + ".not", Position::kJunctor, in_metadata, target, target_path, false);
    }
  }

  std::vector<Cause>& out_;
};

}  // namespace

std::vector<Cause> structural_errors(const json& schema, const std::string& root) {
  std::vector<Cause> out;
  StructuralChecker(out).node(schema, root, Position::kRoot, false, nullptr, "", false);
  return out;
}

std::vector<std::string> unknown_schema_fields(const json& schema, const std::string& root) {
  std::vector<std::string> out;
  for_each_node(schema, root, [&](const json& s, const std::string& path) {
    for (const auto& [k, unused] : s.items()) {
      if (!kKnownKeywords.contains(k)) out.push_back(path + "." + k);
    }
  });
  return out;
}

std::vector<Cause> validation_rule_errors(const json& schema, const std::string& root) {
  static const std::vector<std::string> kReasons = {"FieldValueInvalid", "FieldValueForbidden",
                                                    "FieldValueRequired", "FieldValueDuplicate"};
  std::vector<Cause> out;
  for_each_node(schema, root, [&](const json& s, const std::string& path) {
    auto rules = s.find("x-kubernetes-validations");
    if (rules == s.end()) return;
    if (!rules->is_array()) {
      out.push_back(invalid(path + ".x-kubernetes-validations", *rules, "must be a list"));
      return;
    }
    for (size_t i = 0; i < rules->size(); ++i) {
      const json& r = (*rules)[i];
      const std::string p = index_path(path, "x-kubernetes-validations", i);
      const json rule = r.is_object() ? r.value("rule", json()) : json();
      if (!rule.is_string() ||
          rule.get<std::string>().find_first_not_of(" \t\n") == std::string::npos) {
        out.push_back(required(p + ".rule"));
      }
      const json message = r.is_object() ? r.value("message", json()) : json();
      if (!message.is_string() || message.get<std::string>().empty()) {
        out.push_back(required(p + ".message", "every rule explains itself"));
      } else if (message.get<std::string>().find_first_of("\r\n") != std::string::npos) {
        out.push_back(invalid(p + ".message", message, "must not contain line breaks"));
      }
      if (r.is_object() && r.contains("reason") &&
          std::find(kReasons.begin(), kReasons.end(), r["reason"]) == kReasons.end()) {
        out.push_back(not_supported(p + ".reason", r["reason"], kReasons));
      }
      if (r.is_object() && r.contains("fieldPath") &&
          !(r["fieldPath"].is_string() && r["fieldPath"].get<std::string>().starts_with("."))) {
        out.push_back(invalid(p + ".fieldPath", r["fieldPath"], "must start with \".\""));
      }
    }
  });
  return out;
}

}  // namespace fakeapi
